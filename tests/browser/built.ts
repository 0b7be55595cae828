// Paths of the built site's own files, for tests that run the site's modules in the page
// (the same module instances the page uses: same tfjs, same backend).
import { readdirSync } from "node:fs";

/** The built module of a lib or component source, e.g. lib/eval/f1 -> /_import/lib/eval/f1.<hash>.js. */
export function builtModule(dist: string, path: string): string {
  return builtFile(dist, `_import/${path}.js`);
}

/** The built copy of a file, e.g. _file/checkpoints/mae-tiny.safetensors -> /_file/checkpoints/mae-tiny.<hash>.safetensors. */
export function builtFile(dist: string, path: string): string {
  const slash = path.lastIndexOf("/");
  const [dir, file] = [path.slice(0, slash), path.slice(slash + 1)];
  const dot = file.lastIndexOf(".");
  const [name, ext] = dot < 0 ? [file, ""] : [file.slice(0, dot), file.slice(dot)];
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const found = readdirSync(`${dist}/${dir}`).find((f) => new RegExp(`^${escape(name)}\\.[0-9a-f]{8}${escape(ext)}$`).test(f));
  if (!found) throw new Error(`the build has no ${path}`);
  return `/${dir}/${found}`;
}

// Node implementations of FileSource and FileSink over a directory.
import { access, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { FileSink, FileSource } from "./files.js";

export function nodeFileSource(root: string): FileSource {
  const abs = resolve(root);
  const at = (p: string) => resolve(abs, p);
  return {
    label: abs,
    readText: (p) => readFile(at(p), "utf8"),
    readBytes: async (p) => new Uint8Array(await readFile(at(p))),
    exists: async (p) => {
      try {
        await access(at(p));
        return true;
      } catch {
        return false;
      }
    },
  };
}

export function nodeFileSink(root: string): FileSink {
  const abs = resolve(root);
  const made = new Set<string>();
  const ensure = async (file: string) => {
    const d = dirname(file);
    if (made.has(d)) return;
    await mkdir(d, { recursive: true });
    made.add(d);
  };
  return {
    label: abs,
    async writeBytes(p, bytes) {
      const f = resolve(abs, p);
      await ensure(f);
      await writeFile(f, bytes);
    },
    async writeText(p, text) {
      const f = resolve(abs, p);
      await ensure(f);
      await writeFile(f, text, "utf8");
    },
  };
}

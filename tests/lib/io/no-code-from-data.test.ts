// Checkpoints, fixture sidecars, dataset records and imported lists are parsed as data only:
// no source file of the engine, the CLI, the components or the pages evaluates a string as
// code (eval, new Function, a string timer, a worker from source text), imports or requires
// a module whose path is not a literal, or writes HTML from strings. The few places that
// must (loading tfjs' own files from node_modules, the wasm matmul workers' fixed source)
// are listed below with the reason; anything new fails here with its file and line.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOTS = ["src", "cli"];
const SKIP = ["src/.observablehq"];

const PATTERNS: [string, RegExp][] = [
  ["eval", /(^|[^.\w])eval\s*\(/],
  ["Function constructor", /(^|[^.\w])(new\s+)?Function\s*\(/],
  ["string timer", /\bset(Timeout|Interval)\s*\(\s*["'`]/],
  ["worker from source text", /\beval\s*:\s*true/],
  ["dynamic import of a computed path", /\bimport\s*\(\s*(?!(\/\*[^*]*\*\/\s*)?["'][^"']*["']\s*\))/],
  ["require of a computed path", /\brequire\s*\(\s*(?!["'][^"']*["']\s*\))/],
  ["HTML from strings", /\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write\s*\(/],
];

/** Reviewed uses: file -> the patterns it may match, and why. */
const ALLOWED: Record<string, { patterns: string[]; why: string }> = {
  "src/lib/tf/node.ts": {
    patterns: ["dynamic import of a computed path"],
    why: "registers tfjs-core's gradients: a data: module imports the file URL that require.resolve gives for a fixed package path",
  },
  "src/lib/tf/wasm-threads.ts": {
    patterns: ["require of a computed path"],
    why: "loads tfjs-backend-wasm's own package.json, threaded glue and worker from its directory in node_modules",
  },
  "src/data/wasm-binary.ts": {
    patterns: ["require of a computed path"],
    why: "the build's data loader reads the Emscripten worker script that tfjs-backend-wasm ships as a module, from its directory in node_modules, to serve it from the site",
  },
  "src/lib/tf/wasm-gemm-pool.ts": {
    patterns: ["worker from source text"],
    why: "the matmul pool's workers run WORKER_SOURCE, a constant in the same file (no data in it)",
  },
};

function sources(dir: string): string[] {
  if (SKIP.includes(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return /\.(ts|js|mjs|md)$/.test(e.name) && !e.name.endsWith(".wasm.ts") ? [path] : [];
  });
}

describe("no code from data", () => {
  it("no source evaluates strings, imports computed paths or writes HTML from strings, except the reviewed uses", () => {
    const found: string[] = [];
    const used = new Map<string, Set<string>>();
    for (const file of ROOTS.flatMap(sources)) {
      readFileSync(file, "utf8")
        .split("\n")
        .forEach((line, i) => {
          const code = line.replace(/\/\/.*$/, "").trim();
          if (code.startsWith("*") || code.startsWith("/*")) return;
          for (const [what, re] of PATTERNS) {
            if (!re.test(code)) continue;
            if (ALLOWED[file]?.patterns.includes(what)) used.set(file, (used.get(file) ?? new Set()).add(what));
            else found.push(`${file}:${i + 1}: ${what}: ${code}`);
          }
        });
    }
    expect(found).toEqual([]);
    // Every reviewed use still exists (remove the entry when the code goes).
    for (const [file, { patterns }] of Object.entries(ALLOWED)) expect([...(used.get(file) ?? [])].sort(), file).toEqual([...patterns].sort());
  });
});

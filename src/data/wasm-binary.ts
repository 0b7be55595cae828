// Shared by the wasm data loaders: copies one of tfjs-backend-wasm's binaries
// from node_modules to stdout, so the built site serves the file itself.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export function emitWasmBinary(file: string): void {
  const pkg = createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm/package.json");
  process.stdout.write(readFileSync(join(dirname(pkg), "dist", file)));
}

// Shared by the wasm data loaders: copies one of tfjs-backend-wasm's files from
// node_modules to stdout, so the built site serves the file itself.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const pkg = () => dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json"));

export function emitWasmBinary(file: string): void {
  emitWasmFile(join("dist", file));
}

/** A file of the package, by its path inside the package. */
export function emitWasmFile(path: string): void {
  process.stdout.write(readFileSync(join(pkg(), path)));
}

/**
 * Emscripten's worker script of the threaded build. tfjs ships it as a string whose "\n"
 * escapes became real newlines; they are escaped back, as tfjs does.
 */
export function emitWasmWorker(): void {
  const { wasmWorkerContents } = require(join(pkg(), "wasm-out", "tfjs-backend-wasm-threaded-simd.worker.js")) as { wasmWorkerContents: string };
  process.stdout.write(wasmWorkerContents.replace(/\n/g, "\\n"));
}

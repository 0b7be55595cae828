// The threaded SIMD build of tfjs-backend-wasm in Node. XNNPACK (convolutions and a few
// element-wise ops) then runs on a pool of worker threads, and MaskAU's own matrix-product
// kernel gets a pool of its own on the same shared memory (./wasm-gemm-pool.ts). tfjs turns threads off in Node: it serves the
// worker script from a Blob URL, which Node's worker_threads cannot load, although the
// Emscripten glue itself supports Node's workers. Here the worker script is written to a
// file and the module is instantiated with what tfjs's own initialisation sets up.
//
// Node-only; imported by ./node.ts.
import * as tf from "@tensorflow/tfjs-core";
import { BackendWasm, getThreadsCount, setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import { dirname, join } from "node:path";
import { startGemmPool } from "./wasm-gemm-pool.js";
import { gemmFor } from "./wasm/gemm.js";
import type { EmscriptenHeap } from "./wasm/instance.js";
import { tfjsBindings } from "./wasm/bindings.js";

const require = createRequire(import.meta.url);

/** The most workers the threaded build starts (Emscripten's pool is sized at start-up). */
export const MAX_WASM_THREADS = 8;

/**
 * Threads for the wasm backend in Node: `MASKAU_WASM_THREADS` when set (1 = the
 * single-threaded build), else one per CPU, at most MAX_WASM_THREADS.
 */
export function wasmThreads(env: Record<string, string | undefined> = process.env): number {
  const asked = env.MASKAU_WASM_THREADS;
  if (asked !== undefined && asked.trim() !== "") {
    const n = Number(asked);
    if (!Number.isInteger(n) || n < 1) {
      throw new Error(`MASKAU_WASM_THREADS must be a whole number of threads >= 1 (got "${asked}"); 1 runs the single-threaded build`);
    }
    return Math.min(n, MAX_WASM_THREADS);
  }
  return Math.max(1, Math.min(os.availableParallelism(), MAX_WASM_THREADS));
}

interface EmscriptenModule {
  cwrap: (name: string, ret: string | null, args: string[]) => (...args: unknown[]) => unknown;
  tfjs?: Record<string, unknown>;
  PThread?: { runningWorkers: { unref(): void }[] };
}

let registered = false;

/**
 * Registers the threaded build as the "wasm" backend with `threads` workers (a no-op for
 * one thread, or once a wasm backend has been created in this process: threads are fixed
 * when the module starts).
 */
export function registerThreadedWasm(threads: number): void {
  if (threads < 2 || registered || tf.engine().registry.wasm) return;
  registered = true;
  const pkg = dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json"));
  const glue = join(pkg, "wasm-out", "tfjs-backend-wasm-threaded-simd.js");
  const binary = join(pkg, "dist", "tfjs-backend-wasm-threaded-simd.wasm");
  const version = (require(join(pkg, "package.json")) as { version: string }).version;
  tf.removeBackend("wasm");
  tf.registerBackend(
    "wasm",
    async () => {
      const workerFile = writeWorkerScript(pkg, version);
      const factory = require(glue) as (config: object) => Promise<EmscriptenModule>;
      // Emscripten sizes its worker pool as half the CPU count (it assumes two hyperthreads
      // per core), which leaves one worker on a 2-CPU machine; the count is doubled while
      // the module starts. tfjs then uses `threads` of the pool.
      const cpus = os.cpus;
      os.cpus = () => [...cpus(), ...cpus()];
      let module: EmscriptenModule;
      try {
        module = await factory({
          locateFile: (path: string, prefix: string) =>
            path.endsWith(".worker.js") ? workerFile : path.endsWith(".wasm") ? binary : prefix + path,
          mainScriptUrlOrBlob: glue,
        });
      } finally {
        os.cpus = cpus;
      }
      module.tfjs = tfjsBindings(module);
      setThreadsCount(threads);
      const backend = new BackendWasm(module as never);
      // XNNPACK's pool threads wait for work for the life of the process; like any idle
      // worker they must not keep Node from exiting.
      for (const worker of module.PThread?.runningWorkers ?? []) worker.unref();
      // MaskAU's matrix-product kernel gets its own workers on the same shared memory.
      const gemm = gemmFor(module as unknown as EmscriptenHeap);
      gemm.setPool(startGemmPool(gemm.kernel, gemm.memory, threads));
      return backend;
    },
    2,
  );
}

/**
 * The worker script, as a file Node's worker_threads can load. tfjs ships it as a string
 * whose "\n" escapes became real newlines; they are escaped back, as tfjs does.
 */
function writeWorkerScript(pkg: string, version: string): string {
  const { wasmWorkerContents } = require(join(pkg, "wasm-out", "tfjs-backend-wasm-threaded-simd.worker.js")) as {
    wasmWorkerContents: string;
  };
  const source = wasmWorkerContents.replace(/\n/g, "\\n");
  const file = join(os.tmpdir(), `maskau-tfjs-backend-wasm-${version}-${process.getuid?.() ?? 0}.worker.cjs`);
  if (!existsSync(file) || readFileSync(file, "utf8") !== source) {
    // Written beside, then renamed: a concurrent process never loads a half-written script.
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, source);
    renameSync(partial, file);
  }
  return file;
}

/** Threads the running wasm backend uses (1 for the single-threaded build). */
export function runningWasmThreads(): number {
  return tf.getBackend() === "wasm" ? getThreadsCount() : 1;
}

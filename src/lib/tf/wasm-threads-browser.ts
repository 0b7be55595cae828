// The threaded SIMD build of tfjs-backend-wasm in a browser page. A page that is
// cross-origin isolated (COOP + COEP: see ../coi.ts) has SharedArrayBuffer, so the wasm
// backend can run XNNPACK on a pool of Web Workers, and MaskAU's own matrix-product kernel
// gets a pool of its own on the same shared memory (./wasm/gemm-pool.ts), as in Node
// (./wasm-threads.ts).
//
// tfjs's own initialisation would start the threaded build from Blob URLs (the worker
// script and the module's glue), which the site's Content-Security-Policy refuses
// (worker-src and script-src 'self'). Here every script comes from the site: the glue,
// Emscripten's worker script and the matrix-product worker are files the site serves
// (src/data/wasm/*.js.ts).
//
// Browser-only; used by src/components/runtime.ts.
import * as tf from "@tensorflow/tfjs-core";
import { BackendWasm, getThreadsCount, setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { gemmFor, type GemmExports, type GemmPool } from "./wasm/gemm.js";
import { gemmControl, gemmPoolOn, SPINS } from "./wasm/gemm-pool.js";
import * as gemmBinaries from "./wasm/gemm.wasm.js";
import { kernelBinary, type EmscriptenHeap } from "./wasm/instance.js";
import { tfjsBindings } from "./wasm/bindings.js";

/** The most threads (Emscripten's worker pool in tfjs's build has 8 workers, started with the module). */
export const MAX_BROWSER_WASM_THREADS = 8;

/** The URL parameter that sets the number of wasm threads (1: the single-threaded build). */
export const WASM_THREADS_PARAM = "wasm-threads";

/** The files the threaded build needs, as URLs the site serves. */
export interface ThreadedWasmFiles {
  /** tfjs's Emscripten glue of the threaded SIMD build (a classic script). */
  glue: string;
  /** Emscripten's worker script for that build. */
  worker: string;
  /** The threaded SIMD binary. */
  binary: string;
  /** The matrix-product kernel's worker (src/data/wasm/gemm-worker.js.ts). */
  gemmWorker: string;
}

/** Whether this page can run threads: cross-origin isolated, with SharedArrayBuffer. */
export function threadsAvailable(scope: { crossOriginIsolated?: boolean; SharedArrayBuffer?: unknown } = globalThis): boolean {
  return scope.crossOriginIsolated === true && typeof scope.SharedArrayBuffer === "function";
}

/**
 * Threads for the page's wasm backend: the URL's `?wasm-threads=N` when it is a whole
 * number >= 1, else one per logical CPU; at most MAX_BROWSER_WASM_THREADS, and 1 when the
 * page cannot run threads.
 */
export function browserWasmThreads(search: string, cpus: number, available: boolean): number {
  if (!available) return 1;
  const asked = Number(new URLSearchParams(search).get(WASM_THREADS_PARAM) ?? NaN);
  const n = Number.isInteger(asked) && asked >= 1 ? asked : Math.max(1, Math.floor(cpus) || 1);
  return Math.min(n, MAX_BROWSER_WASM_THREADS);
}

/** Why a page runs wasm on one thread, in a few words, or null when it runs more. */
export function singleThreadReason(threads: number, available: boolean): string | null {
  if (threads > 1) return null;
  return available ? "one thread asked for" : "the page is not cross-origin isolated, so the browser allows no shared memory";
}

interface EmscriptenModule extends EmscriptenHeap {
  cwrap: (name: string, ret: string | null, args: string[]) => (...args: unknown[]) => unknown;
  tfjs?: Record<string, unknown>;
}

type Factory = (config: object) => Promise<EmscriptenModule>;

let registered = false;

/**
 * Registers the threaded build as the "wasm" backend with `threads` threads. With one
 * thread (or where threads are not available) tfjs's single-threaded SIMD build runs: tfjs
 * is told so, since its own start of the threaded build is refused by the site's policy.
 * Call before the backend starts; once per page.
 */
export function registerBrowserThreadedWasm(files: ThreadedWasmFiles, threads: number): void {
  if (registered || tf.engine().registry.wasm) return;
  registered = true;
  if (threads < 2 || !threadsAvailable()) {
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    return;
  }
  tf.removeBackend("wasm");
  tf.registerBackend(
    "wasm",
    async () => {
      const factory = await loadGlue(files.glue);
      // tfjs's build sizes XNNPACK's pool at half the logical CPUs (it assumes two
      // hyperthreads per core), which leaves one thread on a 2-CPU machine; the count it
      // reads is doubled while the module starts, and tfjs then uses `threads` of the pool
      // (as in Node, ./wasm-threads.ts).
      const module = await withDoubledCpus(() =>
        factory({
          locateFile: (path: string, prefix: string) => (path.endsWith(".worker.js") ? files.worker : path.endsWith(".wasm") ? files.binary : prefix + path),
          mainScriptUrlOrBlob: files.glue,
        }),
      );
      module.tfjs = tfjsBindings(module);
      setThreadsCount(threads);
      const backend = new BackendWasm(module as never);
      const gemm = gemmFor(module);
      gemm.setPool(await startBrowserGemmPool(files.gemmWorker, gemm.kernel, gemm.memory, threads));
      return backend;
    },
    2,
  );
}

/** Threads the running wasm backend uses (1 for the single-threaded build or another backend). */
export function runningBrowserWasmThreads(): number {
  return tf.getBackend() === "wasm" ? getThreadsCount() : 1;
}

/** Runs `f` (until what it returns settles) while navigator.hardwareConcurrency reads twice the logical CPUs. */
async function withDoubledCpus<T>(f: () => Promise<T>): Promise<T> {
  const cpus = navigator.hardwareConcurrency || 1;
  Object.defineProperty(navigator, "hardwareConcurrency", { value: 2 * cpus, configurable: true });
  try {
    return await f();
  } finally {
    delete (navigator as { hardwareConcurrency?: number }).hardwareConcurrency;
  }
}

/** Runs the glue (a classic script from the site) and returns the factory it defines. */
function loadGlue(url: string): Promise<Factory> {
  const global = globalThis as unknown as { WasmBackendModuleThreadedSimd?: Factory };
  if (global.WasmBackendModuleThreadedSimd) return Promise.resolve(global.WasmBackendModuleThreadedSimd);
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = url;
    script.onload = () => (global.WasmBackendModuleThreadedSimd ? resolve(global.WasmBackendModuleThreadedSimd) : reject(new Error("the threaded wasm glue defined no module factory")));
    script.onerror = () => reject(new Error(`could not load the threaded wasm glue from ${url}`));
    document.head.append(script);
  });
}

/**
 * `threads - 1` Web Workers serving the matrix-product kernel on the backend's shared
 * memory, plus the page's thread. Resolves once every worker has its kernel instance, so
 * that the page never waits for a worker that has not started (it cannot sleep: it polls).
 */
async function startBrowserGemmPool(url: string, kernel: GemmExports, memory: WebAssembly.Memory, threads: number): Promise<GemmPool> {
  const workers = Math.max(0, threads - 1);
  const control = gemmControl(workers);
  const binary = kernelBinary(gemmBinaries, true);
  await Promise.all(
    Array.from({ length: workers }, (_, slot) => {
      const worker = new Worker(url, { name: `maskau-gemm-${slot}` });
      return new Promise<void>((resolve, reject) => {
        worker.onmessage = () => resolve();
        worker.onerror = (e) => reject(new Error(`matMul worker ${slot} failed to start: ${e.message}`));
        worker.postMessage({ memory, binary, control, slot, spins: SPINS });
      });
    }),
  );
  return gemmPoolOn(kernel, control, workers, false);
}

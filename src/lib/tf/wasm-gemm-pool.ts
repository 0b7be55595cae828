// Worker threads for MaskAU's wasm matrix-product kernel (./wasm/gemm.ts) in Node: the pool
// of ./wasm/gemm-pool.ts on worker_threads. With tfjs-backend-wasm's threaded build the
// heap is a shared memory, so each worker runs its own instance of the kernel on the same
// memory. Workers live as long as the process (unref'd, so they never keep it running).
//
// Node-only; set up by ./wasm-threads.ts.
import { Worker } from "node:worker_threads";
import * as gemmBinaries from "./wasm/gemm.wasm.js";
import type { GemmExports, GemmPool } from "./wasm/gemm.js";
import { GEMM_WORKER_LOOP, gemmControl, gemmPoolOn, SPINS } from "./wasm/gemm-pool.js";
import { kernelBinary } from "./wasm/instance.js";

// Plain JavaScript run by each worker (eval: true).
const WORKER_SOURCE = `${GEMM_WORKER_LOOP}
serveGemm(require("node:worker_threads").workerData, () => {});
`;

/**
 * A pool of `threads - 1` workers plus the calling thread, on a shared memory. Workers are
 * unref'd: an idle pool never keeps Node from exiting.
 */
export function startGemmPool(kernel: GemmExports, memory: WebAssembly.Memory, threads: number): GemmPool {
  if (!(memory.buffer instanceof SharedArrayBuffer)) throw new Error("the matMul thread pool needs the wasm backend's shared memory (threaded build)");
  const workers = Math.max(0, threads - 1);
  const control = gemmControl(workers);
  const binary = kernelBinary(gemmBinaries, true);
  for (let slot = 0; slot < workers; slot++) {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { memory, binary, control, slot, spins: SPINS } });
    worker.unref();
  }
  return gemmPoolOn(kernel, control, workers, true);
}

// Worker threads for MaskAU's wasm matrix-product kernel (./wasm/gemm.ts) in Node. With
// tfjs-backend-wasm's threaded build the heap is a shared memory, so each worker runs its
// own instance of the kernel on the same memory and computes a share of a product's column
// panels while the calling thread computes the first share. Hand-off is through a small
// shared control block: the caller writes the arguments and bumps a sequence number, a
// worker spins briefly (products come in bursts) and then sleeps on it with Atomics.wait.
// Workers live as long as the process (unref'd, so they never keep it running).
// A share is one call of a kernel entry point: a range of 4-row blocks of one product, or
// a range of the products of a batch.
//
// Node-only; set up by ./wasm-threads.ts.
import { Worker } from "node:worker_threads";
import * as gemmBinaries from "./wasm/gemm.wasm.js";
import type { GemmExports, GemmKernel, GemmPool } from "./wasm/gemm.js";
import { kernelBinary } from "./wasm/instance.js";

/** Int32 slots per worker in the control block: seq, done, kernel, argument count, arguments. */
const SLOT = 16;
const SEQ = 0;
const DONE = 1;
const KERNEL = 2;
const ARGC = 3;
const ARGS = 4;
const KERNELS: GemmKernel[] = ["gemmPacked", "gemmBatch"];
/** Polls before sleeping, in the worker (waiting for work) and the caller (waiting for workers). */
const SPINS = 20_000;

// Plain JavaScript run by each worker (eval: true).
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { memory, binary, control, slot, spins } = workerData;
const kernel = new WebAssembly.Instance(new WebAssembly.Module(binary), { env: { memory } }).exports;
const fns = ${JSON.stringify(KERNELS)}.map((name) => kernel[name]);
const c = new Int32Array(control);
const base = slot * ${SLOT};
let seen = 0;
for (;;) {
  let n = 0;
  while (Atomics.load(c, base + ${SEQ}) === seen) {
    if (++n > spins) Atomics.wait(c, base + ${SEQ}, seen);
  }
  seen = Atomics.load(c, base + ${SEQ});
  const a = base + ${ARGS};
  fns[c[base + ${KERNEL}]](...c.subarray(a, a + c[base + ${ARGC}]));
  Atomics.store(c, base + ${DONE}, seen);
  Atomics.notify(c, base + ${DONE});
}
`;

/**
 * A pool of `threads - 1` workers plus the calling thread, on a shared memory. Workers are
 * unref'd: an idle pool never keeps Node from exiting.
 */
export function startGemmPool(kernel: GemmExports, memory: WebAssembly.Memory, threads: number): GemmPool {
  if (!(memory.buffer instanceof SharedArrayBuffer)) throw new Error("the matMul thread pool needs the wasm backend's shared memory (threaded build)");
  const workers = Math.max(0, threads - 1);
  const control = new SharedArrayBuffer(Math.max(1, workers) * SLOT * 4);
  const c = new Int32Array(control);
  const binary = kernelBinary(gemmBinaries, true);
  const pool: Worker[] = [];
  for (let slot = 0; slot < workers; slot++) {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { memory, binary, control, slot, spins: SPINS } });
    worker.unref();
    pool.push(worker);
  }
  let seq = 0;
  return {
    threads: workers + 1,
    run(name, shares) {
      if (shares.length > workers + 1) throw new Error(`matMul pool: ${shares.length} shares for ${workers + 1} threads`);
      seq = seq === 0x7fffffff ? 1 : seq + 1;
      const kernelIndex = KERNELS.indexOf(name);
      for (let w = 0; w < shares.length - 1; w++) {
        const base = w * SLOT;
        const args = shares[w + 1];
        if (args.length > SLOT - ARGS) throw new Error(`matMul pool: ${args.length} arguments do not fit a slot`);
        c[base + KERNEL] = kernelIndex;
        c[base + ARGC] = args.length;
        c.set(args, base + ARGS);
        Atomics.store(c, base + SEQ, seq);
        Atomics.notify(c, base + SEQ);
      }
      (kernel[name] as (...args: number[]) => void)(...shares[0]);
      for (let w = 0; w < shares.length - 1; w++) {
        const done = w * SLOT + DONE;
        let n = 0;
        while (Atomics.load(c, done) !== seq) {
          if (++n > SPINS) Atomics.wait(c, done, Atomics.load(c, done), 1);
        }
      }
    },
  };
}

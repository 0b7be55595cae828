// The thread pool of MaskAU's matrix-product kernel (./gemm.ts), without the platform: the
// shared control block, the workers' loop and the calling thread's side. Node starts the
// workers with worker_threads (../wasm-gemm-pool.ts), a browser with Web Workers
// (../wasm-threads-browser.ts). Each worker runs its own instance of the kernel on the wasm
// backend's shared memory and computes a share of a product while the calling thread
// computes the first share. Hand-off is through a small shared control block: the caller
// writes the arguments and bumps a sequence number, a worker spins briefly (products come
// in bursts) and then sleeps on it with Atomics.wait.
// A share is one call of a kernel entry point: a range of 4-row blocks of one product, or
// a range of the products of a batch.
import type { GemmExports, GemmKernel, GemmPool } from "./gemm.js";

/** Int32 slots per worker in the control block: seq, done, kernel, argument count, arguments. */
const SLOT = 16;
const SEQ = 0;
const DONE = 1;
const KERNEL = 2;
const ARGC = 3;
const ARGS = 4;
const KERNELS: GemmKernel[] = ["gemmPacked", "gemmBatch"];
/** Polls before sleeping, in the worker (waiting for work) and the caller (waiting for workers). */
export const SPINS = 20_000;

/** What a worker needs: the backend's memory, the kernel's shared-memory binary, the control block and its slot. */
export interface GemmWorkerData {
  memory: WebAssembly.Memory;
  binary: Uint8Array;
  control: SharedArrayBuffer;
  slot: number;
  spins: number;
}

/**
 * Plain JavaScript: `function serveGemm({ memory, binary, control, slot, spins }, ready)`,
 * a worker's loop. It instantiates the kernel, calls `ready()` and then serves its slot
 * for the life of the worker.
 */
export const GEMM_WORKER_LOOP = `
function serveGemm({ memory, binary, control, slot, spins }, ready) {
  const kernel = new WebAssembly.Instance(new WebAssembly.Module(binary), { env: { memory } }).exports;
  const fns = ${JSON.stringify(KERNELS)}.map((name) => kernel[name]);
  const c = new Int32Array(control);
  const base = slot * ${SLOT};
  let seen = 0;
  ready();
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
}
`;

/** A control block for `workers` workers. */
export function gemmControl(workers: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Math.max(1, workers) * SLOT * 4);
}

/**
 * The calling thread's side of a pool of `workers` workers serving `control`. `canWait`:
 * whether this thread may sleep with Atomics.wait (a browser's main thread may not: it
 * polls until the workers are done, as Emscripten's own threads make it do).
 */
export function gemmPoolOn(kernel: GemmExports, control: SharedArrayBuffer, workers: number, canWait: boolean): GemmPool {
  const c = new Int32Array(control);
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
          if (canWait && ++n > SPINS) Atomics.wait(c, done, Atomics.load(c, done), 1);
        }
      }
    },
  };
}

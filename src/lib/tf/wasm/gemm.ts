// Matrix products for the wasm backend with MaskAU's own SIMD kernel (./gemm.wat), run
// on the backend's own memory: operands are read where tfjs keeps them, with strides, so
// a transposed operand costs nothing extra. XNNPACK (which tfjs uses) repacks its second
// operand into a fresh operator on every call whose operand is new, which in training is
// every call, at 10-20 ns per element; this kernel packs it at under 1 ns per element.
//
// C[M, N] = A · B with A(i, k) at a + 4·(i·sam + k·sak) and B(k, n) at b + 4·(k·sbk + n·sbn).
import * as binaries from "./gemm.wasm.js";
import { heapMemory, instantiateOn, perHeap, type EmscriptenHeap } from "./instance.js";

export type { EmscriptenHeap };

export interface GemmExports {
  /** Packs B into 8-column panels at dst (ceil(N/8)·8·K floats). */
  pack(b: number, sbk: number, sbn: number, k: number, n: number, dst: number): void;
  /** Packs A into 4-row blocks at dst (ceil(M/4)·4·K floats). */
  packA(a: number, sam: number, sak: number, m: number, k: number, dst: number): void;
  /** C rows 0..M, panels [p0, p1) (columns 8·p0 .. 8·p1), from A in place and packed B. */
  gemm(a: number, sam: number, sak: number, bp: number, c: number, ldc: number, m: number, n: number, k: number, p0: number, p1: number): void;
  /** The same from packed A and packed B. */
  gemmPacked(ap: number, bp: number, c: number, ldc: number, m: number, n: number, k: number, p0: number, p1: number): void;
}

/** The kernel entry points a pool runs (each takes the panel range [p0, p1) last). */
export type GemmKernel = "gemm" | "gemmPacked";

/** One product: byte offsets into the heap and element strides. */
export interface GemmCall {
  a: number;
  sam: number;
  sak: number;
  b: number;
  sbk: number;
  sbn: number;
  c: number;
  m: number;
  n: number;
  k: number;
}

/**
 * Runs the panels of one packed product on several threads. Set by the Node setup when
 * the threaded build runs (see ../wasm-threads.ts); absent, everything runs here.
 */
export interface GemmPool {
  threads: number;
  /** Computes panels [0, panels) of `kernel(...args, p0, p1)`, split across threads; returns when all are done. */
  run(kernel: GemmKernel, args: number[], panels: number): void;
}

export class WasmGemm {
  private pool: GemmPool | null = null;

  constructor(
    readonly kernel: GemmExports,
    private readonly heap: EmscriptenHeap,
    /** The memory the kernel runs on (shared in the threaded build). */
    readonly memory: WebAssembly.Memory,
  ) {}

  setPool(pool: GemmPool | null): void {
    this.pool = pool;
  }

  /** Bytes of scratch a packed B of k × n needs. */
  static packedBytes(k: number, n: number): number {
    return Math.ceil(n / 8) * 8 * k * 4;
  }

  /**
   * Runs products in order; a call whose B (offset, strides and shape) equals the previous
   * call's reuses its packing. A is packed too (see packsA).
   */
  run(calls: GemmCall[]): void {
    if (calls.length === 0) return;
    let bBytes = 16;
    let aBytes = 16;
    for (const c of calls) {
      bBytes = Math.max(bBytes, WasmGemm.packedBytes(c.k, c.n));
      if (packsA(c)) aBytes = Math.max(aBytes, Math.ceil(c.m / 4) * 16 * c.k);
    }
    const bp = this.heap._malloc(bBytes);
    const ap = this.heap._malloc(aBytes);
    try {
      if (bp === 0 || ap === 0) throw new Error(`matMul: out of wasm memory for ${bBytes + aBytes} bytes of packing buffers`);
      let packed = "";
      for (const c of calls) {
        if (c.m === 0 || c.n === 0) continue;
        const key = `${c.b}/${c.sbk}/${c.sbn}/${c.k}/${c.n}`;
        if (key !== packed) {
          this.kernel.pack(c.b, c.sbk, c.sbn, c.k, c.n, bp);
          packed = key;
        }
        const panels = Math.ceil(c.n / 8);
        // Below ~2 MFLOP the hand-off to other threads costs more than it saves.
        const pool = this.pool && panels > 1 && 2 * c.m * c.n * c.k >= 2e6 ? this.pool : null;
        if (packsA(c)) {
          this.kernel.packA(c.a, c.sam, c.sak, c.m, c.k, ap);
          const args = [ap, bp, c.c, c.n, c.m, c.n, c.k];
          if (pool) pool.run("gemmPacked", args, panels);
          else this.kernel.gemmPacked(ap, bp, c.c, c.n, c.m, c.n, c.k, 0, panels);
        } else {
          const args = [c.a, c.sam, c.sak, bp, c.c, c.n, c.m, c.n, c.k];
          if (pool) pool.run("gemm", args, panels);
          else this.kernel.gemm(c.a, c.sam, c.sak, bp, c.c, c.n, c.m, c.n, c.k, 0, panels);
        }
      }
    } finally {
      if (bp !== 0) this.heap._free(bp);
      if (ap !== 0) this.heap._free(ap);
    }
  }
}

/**
 * Whether a product reads A through a packed copy (4 rows interleaved, one vector load per
 * step instead of 4 scalar loads): 10-20% faster including the packing, for A transposed or
 * not. A single row is read in place.
 */
const packsA = (c: GemmCall) => c.m > 1;

/** Instantiates the kernel on a memory (the worker threads of ../wasm-gemm-pool.ts do too). */
export function instantiateGemm(memory: WebAssembly.Memory): GemmExports {
  return instantiateOn<GemmExports>(binaries, memory);
}

/** The kernel bound to a wasm backend's module (one per module). */
export const gemmFor = perHeap((heap) => {
  const memory = heapMemory(heap);
  return new WasmGemm(instantiateGemm(memory), heap, memory);
});

// Matrix products for the wasm backend with MaskAU's own SIMD kernel (./gemm.wat), run
// on the backend's own memory: operands are read where tfjs keeps them, with strides, so
// a transposed operand costs nothing extra. XNNPACK (which tfjs uses) repacks its second
// operand into a fresh operator on every call whose operand is new, which in training is
// every call, at 10-20 ns per element; this kernel packs it at under 1 ns per element.
//
// C[M, N] = A · B with A(i, k) at a + 4·(i·sam + k·sak) and B(k, n) at b + 4·(k·sbk + n·sbn).
import * as binaries from "./gemm.wasm.js";
import { heapMemory, instantiateOn, perHeap, type EmscriptenHeap } from "./instance.js";

export interface GemmExports {
  /** Packs B into 8-column panels at dst (ceil(N/8)·8·K floats). */
  pack(b: number, sbk: number, sbn: number, k: number, n: number, dst: number): void;
  /** Packs A into 4-row blocks at dst (ceil(M/4)·4·K floats). */
  packA(a: number, sam: number, sak: number, m: number, k: number, dst: number): void;
  /** C rows 0..M, panels [p0, p1) (columns 8·p0 .. 8·p1), from A in place and packed B. */
  gemm(a: number, sam: number, sak: number, bp: number, c: number, ldc: number, m: number, n: number, k: number, p0: number, p1: number): void;
  /** The same from packed A and packed B. */
  gemmPacked(ap: number, bp: number, c: number, ldc: number, m: number, n: number, k: number, p0: number, p1: number): void;
  /** Products [first, last) of a list of GemmCall records (10 int32 each), with scratch ap and bp. */
  gemmBatch(list: number, first: number, last: number, ap: number, bp: number): void;
}

/** The kernel entry points a pool runs. */
export type GemmKernel = "gemmPacked" | "gemmBatch";

/** Fields of a GemmCall in the order of a gemmBatch record. */
const RECORD: (keyof GemmCall)[] = ["a", "sam", "sak", "b", "sbk", "sbn", "c", "m", "n", "k"];

/** A product whose A is already packed (runPackedA): everything but A's place and strides. */
export type PackedACall = Omit<GemmCall, "a" | "sam" | "sak">;

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
 * Runs shares of the products on several threads. Set by the Node setup when
 * the threaded build runs (see ../wasm-threads.ts); absent, everything runs here.
 */
export interface GemmPool {
  threads: number;
  /**
   * Runs `kernel(...shares[i])` for every share at once, shares[0] on the calling thread and
   * the others on workers (at most `threads` shares); returns when all are done.
   */
  run(kernel: GemmKernel, shares: number[][]): void;
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

  /**
   * Runs products: one product is split by 4-row blocks of A across the pool's threads; a
   * batch of products is split by products, each thread packing into its own scratch.
   */
  run(calls: GemmCall[]): void {
    const live = calls.filter((c) => c.m > 0 && c.n > 0);
    if (live.length === 1) this.runOne(live[0]);
    else if (live.length > 1) this.runBatch(live);
  }

  /**
   * C = A·B for an A already in packA's layout at `ap` (4-row blocks, rows past M zero),
   * e.g. written there by ./patches.ts; B is packed here. The same split and kernel as a
   * product whose A is packed from memory, so the same bits.
   */
  runPackedA(ap: number, c: PackedACall): void {
    if (c.m === 0 || c.n === 0) return;
    const bp = this.alloc(packedBBytes(c));
    try {
      this.kernel.pack(c.b, c.sbk, c.sbn, c.k, c.n, bp);
      this.multiplyPacked(ap, bp, c);
    } finally {
      this.heap._free(bp);
    }
  }

  private runOne(c: GemmCall): void {
    const bp = this.alloc(packedBBytes(c));
    const ap = this.alloc(packsA(c) ? packedABytes(c) : 16, bp);
    try {
      this.kernel.pack(c.b, c.sbk, c.sbn, c.k, c.n, bp);
      if (!packsA(c)) {
        this.kernel.gemm(c.a, c.sam, c.sak, bp, c.c, c.n, c.m, c.n, c.k, 0, Math.ceil(c.n / 8));
        return;
      }
      this.kernel.packA(c.a, c.sam, c.sak, c.m, c.k, ap);
      this.multiplyPacked(ap, bp, c);
    } finally {
      this.heap._free(bp);
      this.heap._free(ap);
    }
  }

  /** C from packed A and packed B, split by 4-row blocks of A across the pool's threads. */
  private multiplyPacked(ap: number, bp: number, c: PackedACall): void {
    const panels = Math.ceil(c.n / 8);
    // Below ~2 MFLOP the hand-off to other threads costs more than it saves.
    const blocks = Math.ceil(c.m / 4);
    const threads = this.pool && 2 * c.m * c.n * c.k >= 2e6 ? Math.min(this.pool.threads, blocks) : 1;
    if (threads === 1) {
      this.kernel.gemmPacked(ap, bp, c.c, c.n, c.m, c.n, c.k, 0, panels);
      return;
    }
    // Split by rows (whole 4-row blocks): each thread streams only its part of A.
    const perBlocks = Math.ceil(blocks / threads);
    const shares: number[][] = [];
    for (let q = 0; q < blocks; q += perBlocks) {
      const r0 = q * 4;
      const rows = Math.min(c.m, (q + perBlocks) * 4) - r0;
      shares.push([ap + q * 16 * c.k, bp, c.c + r0 * c.n * 4, c.n, rows, c.n, c.k, 0, panels]);
    }
    this.pool!.run("gemmPacked", shares);
  }

  private runBatch(calls: GemmCall[]): void {
    let aBytes = 16;
    let bBytes = 16;
    for (const c of calls) {
      aBytes = Math.max(aBytes, packedABytes(c));
      bBytes = Math.max(bBytes, packedBBytes(c));
    }
    const threads = this.pool ? Math.min(this.pool.threads, calls.length) : 1;
    const list = this.alloc(calls.length * RECORD.length * 4);
    const scratch = this.alloc(threads * (aBytes + bBytes), list);
    try {
      // The view is taken after the allocations, which may grow (and so detach) the heap.
      const records = new Int32Array(this.memory.buffer, list, calls.length * RECORD.length);
      calls.forEach((c, i) => RECORD.forEach((field, j) => (records[i * RECORD.length + j] = c[field])));
      const per = Math.ceil(calls.length / threads);
      const shares: number[][] = [];
      for (let first = 0, t = 0; first < calls.length; first += per, t++) {
        const ap = scratch + t * (aBytes + bBytes);
        shares.push([list, first, Math.min(calls.length, first + per), ap, ap + aBytes]);
      }
      if (shares.length > 1) this.pool!.run("gemmBatch", shares);
      else this.kernel.gemmBatch(list, 0, calls.length, scratch, scratch + aBytes);
    } finally {
      this.heap._free(list);
      this.heap._free(scratch);
    }
  }

  /** Heap bytes, freeing `held` if the allocation fails. */
  alloc(bytes: number, held?: number): number {
    const p = this.heap._malloc(Math.max(16, bytes));
    if (p === 0) {
      if (held !== undefined) this.heap._free(held);
      throw new Error(`matMul: out of wasm memory for a ${bytes}-byte buffer`);
    }
    return p;
  }
}

/** Bytes of a packed A (4-row blocks) and of a packed B (8-column panels). */
export const packedABytes = (c: Pick<GemmCall, "m" | "k">) => Math.ceil(c.m / 4) * 16 * c.k;
const packedBBytes = (c: Pick<GemmCall, "n" | "k">) => Math.ceil(c.n / 8) * 32 * c.k;

/**
 * Whether a product reads A through a packed copy (4 rows interleaved, one vector load per
 * step instead of 4 scalar loads): 10-20% faster including the packing, for A transposed or
 * not. A single row is read in place.
 */
const packsA = (c: GemmCall) => c.m > 1;

/** The kernel bound to a wasm backend's module (one per module). */
export const gemmFor = perHeap((heap) => {
  const memory = heapMemory(heap);
  return new WasmGemm(instantiateOn<GemmExports>(binaries, memory), heap, memory);
});

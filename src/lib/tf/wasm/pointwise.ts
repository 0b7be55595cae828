// MaskAU's fused element-wise kernels for the wasm backend (./pointwise.wat), bound to the
// backend's heap: exact GELU forward and gradient (one pass each instead of 5 and ~10
// tfjs kernels, erf and exp evaluated with SIMD polynomials), one AdamW update per
// parameter (instead of 14 kernels), sums over leading axes (bias gradients), which
// tfjs's Sum computes by transposing first, and LayerNorm forward and gradient (one pass
// over the rows each instead of about 9 and 20 kernels), and train-mode BatchNorm over
// channels last, forward and gradient (three and two passes instead of about 12 and 25), and
// add, sub, mul and div with broadcasting (bias adds, per-node scales), which tfjs's wasm
// kernels run element by element with an index computation each.
import * as binaries from "./pointwise.wasm.js";
import { heapMemory, instantiateOn, perHeap } from "./instance.js";

export interface PointwiseExports {
  /** out = GELU(x) (grad 0) or dy · GELU'(x) (grad 1; dy is ignored for grad 0). */
  gelu(x: number, dy: number, out: number, n: number, grad: 0 | 1): void;
  adamw(
    p: number, g: number, m: number, v: number, pOut: number, mOut: number, vOut: number, n: number,
    oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, bias2Sqrt: number, eps: number, decay: number, stepSize: number,
  ): void;
  columnSums(x: number, rows: number, cols: number, out: number): void;
  layerNorm(x: number, gamma: number, beta: number, y: number, mean: number, rstd: number, rows: number, d: number, eps: number): void;
  layerNormGrad(
    x: number, gamma: number, mean: number, rstd: number, dy: number, dx: number, dgamma: number, dbeta: number, rows: number, d: number,
  ): void;
  batchNorm(x: number, gamma: number, beta: number, y: number, mean: number, variance: number, rstd: number, rows: number, c: number, eps: number): void;
  batchNormGrad(
    x: number, gamma: number, mean: number, rstd: number, dy: number, dx: number, dgamma: number, dbeta: number, rows: number, c: number,
  ): void;
  /** out[r n + i] = a[r aRow + i aVec] OP b[r bRow + i bVec]; op 0 add, 1 sub, 2 mul, 3 div. */
  broadcastRows(op: number, a: number, b: number, out: number, rows: number, n: number, aRow: number, bRow: number, aVec: 0 | 1, bVec: 0 | 1): void;
}

export const pointwiseFor = perHeap((heap) => instantiateOn<PointwiseExports>(binaries, heapMemory(heap)));

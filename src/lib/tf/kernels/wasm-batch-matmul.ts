// BatchMatMul for wasm on MaskAU's own SIMD kernel (../wasm/gemm.ts). The built-in kernel
// hands a product to XNNPACK only when both operands are single matrices and neither is
// transposed (everything else, attention's batches and the transposes of every matmul
// gradient, runs a scalar loop 10-50x slower), and XNNPACK repacks the second operand on
// every call whose operand is new, which during training is every call. Here every case
// reads its operands in place with strides: a transposed operand costs nothing, a batch of
// `a` against one `b` is one product over the stacked rows, and batch dimensions broadcast
// as in tf.matMul.
import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { heapOffset, wasmHeap, withFallback } from "./kernel-access.js";
import { gemmFor, type GemmCall } from "../wasm/gemm.js";

/** Maps an output batch index to an operand's batch index under broadcasting. */
function batchIndexer(batch: number[], outBatch: number[]): (i: number) => number {
  const size = batch.reduce((p, d) => p * d, 1);
  if (size === 1) return () => 0;
  const full = outBatch.reduce((p, d) => p * d, 1);
  if (size === full) return (i) => i;
  const padded = [...new Array<number>(outBatch.length - batch.length).fill(1), ...batch];
  const strides = padded.map((_, k) => padded.slice(k + 1).reduce((p, d) => p * d, 1));
  return (i) => {
    let rest = i;
    let index = 0;
    for (let k = outBatch.length - 1; k >= 0; k--) {
      const coord = rest % outBatch[k];
      rest = (rest - coord) / outBatch[k];
      if (padded[k] !== 1) index += coord * strides[k];
    }
    return index;
  };
}

/** The wasm BatchMatMul kernel; non-float32 products run on wasm's own. */
export const makeBatchMatMulWasm = withFallback(tf.BatchMatMul, ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm;
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
  if (a.dtype !== "float32" || b.dtype !== "float32") return undefined;
  const [a0, a1] = a.shape.slice(-2);
  const [b0, b1] = b.shape.slice(-2);
  const [m, k] = transposeA ? [a1, a0] : [a0, a1];
  const [k2, n] = transposeB ? [b1, b0] : [b0, b1];
  if (k !== k2) {
    throw new Error(
      `matMul: inner dimensions ${k} and ${k2} of [${a.shape}]${transposeA ? "ᵀ" : ""} and [${b.shape}]${transposeB ? "ᵀ" : ""} differ`,
    );
  }
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const outBatch = tf.backend_util.assertAndGetBroadcastShape(batchA, batchB);
  const out = wasm.makeOutput([...outBatch, m, n], "float32");
  const count = outBatch.reduce((p, d) => p * d, 1);
  if (count === 0 || m === 0 || n === 0) return out;
  if (k === 0) {
    wasm.typedArrayFromHeap(out).fill(0);
    return out;
  }
  const [aOffset, bOffset, cOffset] = [heapOffset(wasm, a), heapOffset(wasm, b), heapOffset(wasm, out)];
  const [sam, sak] = transposeA ? [1, m] : [k, 1];
  const [sbk, sbn] = transposeB ? [1, k] : [n, 1];
  const sizeA = batchA.reduce((p, d) => p * d, 1);
  const sizeB = batchB.reduce((p, d) => p * d, 1);
  const calls: GemmCall[] = [];
  if (sizeB === 1 && sizeA === count && !transposeA) {
    // One b for every a: a single product over the stacked rows of a.
    calls.push({ a: aOffset, sam, sak, b: bOffset, sbk, sbn, c: cOffset, m: count * m, n, k });
  } else {
    const aIndex = batchIndexer(batchA, outBatch);
    const bIndex = batchIndexer(batchB, outBatch);
    for (let i = 0; i < count; i++) {
      calls.push({
        a: aOffset + aIndex(i) * m * k * 4, sam, sak,
        b: bOffset + bIndex(i) * k * n * 4, sbk, sbn,
        c: cOffset + i * m * n * 4, m, n, k,
      });
    }
  }
  gemmFor(wasmHeap(wasm)).run(calls);
  return out;
});

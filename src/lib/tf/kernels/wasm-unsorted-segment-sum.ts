// UnsortedSegmentSum for wasm, which has none; tf.gather's gradient is built on it.
// out[s, ...] = sum of x[i, ...] over the i whose segment id is s; ids outside
// [0, numSegments) are dropped, as in TensorFlow.
import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { wasmOutputAndViews, type KernelArgs } from "./kernel-access.js";

export function unsortedSegmentSumWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const { numSegments } = attrs as unknown as tf.UnsortedSegmentSumAttrs;
  const idRank = segmentIds.shape.length;
  if (segmentIds.dtype !== "int32") throw new Error(`UnsortedSegmentSum: segmentIds must be int32, got ${segmentIds.dtype}`);
  if (segmentIds.shape.some((d, i) => d !== x.shape[i])) {
    throw new Error(`UnsortedSegmentSum: segmentIds shape [${segmentIds.shape}] must be a prefix of x's shape [${x.shape}]`);
  }
  const innerShape = x.shape.slice(idRank);
  const inner = tf.util.sizeFromShape(innerShape);
  const count = tf.util.sizeFromShape(segmentIds.shape);
  const { out, outValues, inputValues: [xv, ids] } = wasmOutputAndViews(
    backend as BackendWasm, [numSegments, ...innerShape], x.dtype, [x, segmentIds],
  );
  outValues.fill(0);
  for (let i = 0; i < count; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) outValues[dst + j] += xv[src + j];
  }
  return out;
}

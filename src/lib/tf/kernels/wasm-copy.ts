// Data-movement kernels for wasm that tfjs runs element by element: a row gather (the MAE's
// token selection and un-shuffle) and a split into contiguous blocks (attention's q, k, v).
// Both become block copies on the heap; other cases go to wasm's own kernels.
import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { withFallback } from "./kernel-access.js";

type Heap = Float32Array | Int32Array | Uint8Array;

/** GatherV2 along axis 0 without batch dimensions: whole rows copied. */
export const makeGatherWasm = withFallback(tf.GatherV2, ({ inputs, backend, attrs }) => {
  const { x, indices } = inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
  const { axis, batchDims } = attrs as unknown as tf.GatherV2Attrs;
  const ax = tf.util.parseAxisParam(axis, x.shape)[0];
  if (ax !== 0 || (batchDims ?? 0) !== 0 || indices.dtype !== "int32" || x.dtype === "string" || x.shape.length === 0) return undefined;
  const wasm = backend as BackendWasm;
  const rows = x.shape[0];
  const width = tf.util.sizeFromShape(x.shape.slice(1));
  const out = wasm.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
  // Views are taken after the allocation: growing the heap detaches earlier ones.
  const src = wasm.typedArrayFromHeap(x) as Heap;
  const dst = wasm.typedArrayFromHeap(out) as Heap;
  const idx = wasm.typedArrayFromHeap(indices) as Int32Array;
  for (let r = 0; r < idx.length; r++) {
    const i = idx[r];
    if (!(i >= 0 && i < rows)) {
      wasm.disposeData(out.dataId);
      throw new Error(`gather: index ${i} is outside [0, ${rows - 1}]`);
    }
    dst.set(src.subarray(i * width, (i + 1) * width), r * width);
  }
  return out;
});

/** SplitV where every part is one contiguous block (only leading axes of size 1 before `axis`). */
export const makeSplitWasm = withFallback(tf.SplitV, ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const { numOrSizeSplits, axis } = attrs as unknown as tf.SplitVAttrs;
  const ax = tf.util.parseAxisParam(axis, x.shape)[0];
  if (x.dtype === "string" || tf.util.sizeFromShape(x.shape.slice(0, ax)) !== 1) return undefined;
  const wasm = backend as BackendWasm;
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
  const inner = tf.util.sizeFromShape(x.shape.slice(ax + 1));
  let start = 0;
  return sizes.map((size) => {
    const shape = x.shape.slice();
    shape[ax] = size;
    const out = wasm.makeOutput(shape, x.dtype);
    // Views are taken after the allocation: growing the heap detaches earlier ones.
    const src = wasm.typedArrayFromHeap(x) as Heap;
    (wasm.typedArrayFromHeap(out) as Heap).set(src.subarray(start * inner, (start + size) * inner));
    start += size;
    return out;
  });
});

// Gradient of StridedSlice, which tfjs defines on no backend. The upstream gradient is
// placed back where the slice read from: per axis, reversed for a negative stride, spread
// out with zeros between elements for a stride above 1, then padded to the input's extent.
// Built from reverse/pad/reshape/slice, so it runs on every backend.
import * as tf from "@tensorflow/tfjs-core";

export function stridedSliceBackward(dy: tf.Tensor, xShape: number[], attrs: tf.StridedSliceAttrs): tf.Tensor {
  return tf.tidy(() => {
    const { begin, end, strides, beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask } = attrs;
    const info = tf.slice_util.sliceInfo(
      xShape, begin, end, strides, beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask,
    );
    const rank = xShape.length;
    // Elements read along each axis of x (shrunk axes read one, new axes are not axes of x).
    const counts = xShape.map((_, j) => Math.max(0, Math.ceil((info.end[j] - info.begin[j]) / info.strides[j])));
    if (counts.some((n) => n === 0)) return tf.zeros(xShape, "float32");
    if (tf.util.sizeFromShape(counts) !== dy.size) {
      throw new Error(`StridedSlice gradient: dy has ${dy.size} elements but the slice read ${counts.join("x")} from [${xShape}]`);
    }
    let g = tf.reshape(dy, counts);
    const paddings: [number, number][] = [];
    for (let j = 0; j < rank; j++) {
      const n = counts[j];
      let step = info.strides[j];
      let first = info.begin[j];
      if (step < 0) {
        g = tf.reverse(g, j);
        first = info.begin[j] + (n - 1) * step;
        step = -step;
      }
      let span = n;
      if (step > 1 && n > 1) {
        // [..., n, ...] -> [..., n, step, ...] with zeros after each element -> [..., n*step, ...]
        const expanded = tf.expandDims(g, j + 1);
        const widen: [number, number][] = expanded.shape.map((_, k) => (k === j + 1 ? [0, step - 1] : [0, 0]));
        const spread = tf.reshape(tf.pad(expanded, widen), [...g.shape.slice(0, j), n * step, ...g.shape.slice(j + 1)]);
        span = (n - 1) * step + 1;
        g = tf.slice(spread, g.shape.map(() => 0), g.shape.map((d, k) => (k === j ? span : d)));
      }
      paddings.push([first, xShape[j] - first - span]);
    }
    return tf.pad(g, paddings);
  });
}

export const stridedSliceGradConfig: tf.GradConfig = {
  kernelName: tf.StridedSlice,
  inputsToSave: ["x"],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    return { x: () => stridedSliceBackward(dy as tf.Tensor, x.shape, attrs as unknown as tf.StridedSliceAttrs) };
  },
};

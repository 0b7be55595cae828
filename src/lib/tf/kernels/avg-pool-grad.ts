// Gradient of AvgPool. The forward pass divides each window by the number of pixels inside
// the image (padding excluded, as TensorFlow does), but every backend's AvgPoolGrad kernel
// divides by the full window size, so with "same" padding the gradient at the borders was
// too small. Scaling dy by windowSize / count per output position before that kernel makes
// it the exact adjoint of the forward pass, on every backend.
import * as tf from "@tensorflow/tfjs-core";

/** [OH, OW] = filterHeight * filterWidth / (pixels of the window inside the image). */
export function avgPoolGradScale(info: tf.backend_util.Conv2DInfo): Float32Array {
  const { inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { effectiveFilterHeight: fh, effectiveFilterWidth: fw, dilationHeight, dilationWidth } = info;
  const scale = new Float32Array(outHeight * outWidth);
  for (let oy = 0; oy < outHeight; oy++) {
    let rows = 0;
    for (let fy = 0; fy < fh; fy += dilationHeight) {
      const y = oy * strideHeight - info.padInfo.top + fy;
      if (y >= 0 && y < inHeight) rows++;
    }
    for (let ox = 0; ox < outWidth; ox++) {
      let cols = 0;
      for (let fx = 0; fx < fw; fx += dilationWidth) {
        const x = ox * strideWidth - info.padInfo.left + fx;
        if (x >= 0 && x < inWidth) cols++;
      }
      scale[oy * outWidth + ox] = rows * cols > 0 ? (info.filterHeight * info.filterWidth) / (rows * cols) : 0;
    }
  }
  return scale;
}

export const avgPoolGradConfig: tf.GradConfig = {
  kernelName: tf.AvgPool,
  inputsToSave: ["x"],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.AvgPoolAttrs;
    return {
      x: () =>
        tf.tidy(() => {
          const info = tf.backend_util.computePool2DInfo(
            x.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode,
          );
          const scale = tf.tensor4d(avgPoolGradScale(info), [1, info.outHeight, info.outWidth, 1]);
          const scaled = tf.mul(dy as tf.Tensor4D, scale);
          const kernelAttrs = { filterSize, strides, pad, dimRoundingMode } as unknown as tf.NamedAttrMap;
          return tf.engine().runKernel(tf.AvgPoolGrad, { dy: scaled, input: x }, kernelAttrs) as tf.Tensor;
        }),
    };
  },
};

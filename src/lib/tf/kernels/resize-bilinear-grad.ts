// Gradient of ResizeBilinear. tfjs's gradient kernels ignore halfPixelCenters on every
// backend (the setting that matches torch's align_corners=False), and the cpu kernel also
// returns a transposed shape for non-square images. Bilinear resizing is separable,
// y = A_h x A_w^T per image and channel, so the gradient is dx = A_h^T dy A_w: two plain
// matmuls with interpolation matrices built here, identical on every backend.
import * as tf from "@tensorflow/tfjs-core";

/** [outSize, inSize] weights of the 1-D linear interpolation that tfjs's forward kernels use. */
export function interpolationMatrix(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): Float32Array {
  const scale = alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
  const m = new Float32Array(outSize * inSize);
  for (let o = 0; o < outSize; o++) {
    const src = halfPixelCenters ? (o + 0.5) * scale - 0.5 : o * scale;
    const lo = Math.min(inSize - 1, Math.max(0, Math.floor(src)));
    const hi = Math.min(inSize - 1, Math.max(0, Math.ceil(src)));
    const frac = src - lo; // negative left of the first sample: both weights land on index 0
    m[o * inSize + lo] += 1 - frac;
    m[o * inSize + hi] += frac;
  }
  return m;
}

/** dL/dimages for images [B, H, W, C] resized to dy's [B, OH, OW, C]. */
export function resizeBilinearBackward(
  dy: tf.Tensor4D,
  imagesShape: [number, number, number, number],
  alignCorners: boolean,
  halfPixelCenters: boolean,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, height, width, channels] = imagesShape;
    const [, outHeight, outWidth] = dy.shape;
    const rows = tf.tensor2d(interpolationMatrix(height, outHeight, alignCorners, halfPixelCenters), [outHeight, height]);
    const cols = tf.tensor2d(interpolationMatrix(width, outWidth, alignCorners, halfPixelCenters), [outWidth, width]);
    const byRow = tf.reshape(tf.transpose(tf.cast(dy, "float32"), [0, 2, 3, 1]), [-1, outHeight]); // [B*OW*C, OH]
    const rowsDone = tf.reshape(tf.matMul(byRow, rows), [batch, outWidth, channels, height]); // [B, OW, C, H]
    const byCol = tf.reshape(tf.transpose(rowsDone, [0, 2, 3, 1]), [-1, outWidth]); // [B*C*H, OW]
    const colsDone = tf.reshape(tf.matMul(byCol, cols), [batch, channels, height, width]); // [B, C, H, W]
    return tf.transpose(colsDone, [0, 2, 3, 1]) as tf.Tensor4D; // [B, H, W, C]
  });
}

export const resizeBilinearGradConfig: tf.GradConfig = {
  kernelName: tf.ResizeBilinear,
  inputsToSave: ["images"],
  gradFunc: (dy, saved, attrs) => {
    const [images] = saved;
    const { alignCorners, halfPixelCenters } = attrs as unknown as tf.ResizeBilinearAttrs;
    const shape = images.shape as [number, number, number, number];
    return { images: () => resizeBilinearBackward(dy as tf.Tensor4D, shape, alignCorners, halfPixelCenters) };
  },
};

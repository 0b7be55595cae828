// Thin tfjs helpers: dataset images as normalised NHWC tensors and labels as float tensors.
import * as tf from "@tensorflow/tfjs-core";
import { normalizeImages } from "./normalize.js";

/** uint8 [N, size, size, 3] -> normalised float32 tensor [N, size, size, 3]. The caller disposes it. */
export function imagesToTensor(images: Uint8Array, size: number): tf.Tensor4D {
  const { data, shape } = normalizeImages(images, size);
  return tf.tensor4d(data, shape);
}

/** uint8 [N, A] 0/1 labels -> float32 tensor [N, A]. The caller disposes it. */
export function labelsToTensor(labels: Uint8Array, numAUs: number): tf.Tensor2D {
  return tf.tensor2d(Float32Array.from(labels), [labels.length / numAUs, numAUs]);
}

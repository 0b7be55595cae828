// Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_: all
// gradients are scaled by max_norm / (total_norm + 1e-6) when that is below 1.
import * as tf from "@tensorflow/tfjs-core";

export interface ClippedGradients {
  grads: tf.NamedTensorMap;
  /** Global L2 norm of the gradients before clipping. */
  norm: tf.Scalar;
}

/** Returns new gradient tensors (the inputs are not disposed) and the pre-clip norm. */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): ClippedGradients {
  return tf.tidy(() => {
    const squares = Object.values(grads).map((g) => tf.sum(tf.square(g)));
    const norm = tf.sqrt(tf.addN(squares)) as tf.Scalar;
    const scale = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6)));
    const clipped: tf.NamedTensorMap = {};
    for (const [name, g] of Object.entries(grads)) clipped[name] = tf.mul(g, scale);
    return { grads: clipped, norm };
  });
}

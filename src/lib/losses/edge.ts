// Stage-2 edge loss (ME-GraphAU train_stage2.py): each ordered AU pair e = i*N + j is
// classified into 4 co-occurrence classes, label 2*y_i + y_j (0 neither, 1 only j,
// 2 only i, 3 both); plain cross-entropy, mean over all B*N*N edges.
import * as tf from "@tensorflow/tfjs-core";

/** y [B, N] (0/1) -> edge labels [B, N*N] int32, 2*y_i + y_j for e = i*N + j. */
export function edgeLabels(y: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const [b, n] = y.shape;
    const yi = tf.cast(y, "int32");
    const pair = tf.add(tf.mul(tf.expandDims(yi, 2), 2), tf.expandDims(yi, 1)); // [B, i, j]
    return tf.reshape(pair, [b, n * n]) as tf.Tensor2D;
  });
}

/** The same on plain arrays: y row-major [B, N] -> [B, N*N]. */
export function edgeLabelsArray(y: ArrayLike<number>, numClasses: number): Int32Array {
  const n = numClasses;
  const b = y.length / n;
  const out = new Int32Array(b * n * n);
  for (let s = 0; s < b; s++) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) out[s * n * n + i * n + j] = 2 * (y[s * n + i] > 0 ? 1 : 0) + (y[s * n + j] > 0 ? 1 : 0);
    }
  }
  return out;
}

/** Cross-entropy of edge logits [..., 4] against int labels [...], mean over all edges. */
export function edgeCrossEntropy(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  const classes = logits.shape[logits.rank - 1];
  if (labels.size * classes !== logits.size) {
    throw new Error(`edgeCrossEntropy: logits [${logits.shape}] do not match labels [${labels.shape}]`);
  }
  return tf.tidy(() => {
    const flat = tf.reshape(logits, [-1, classes]);
    const target = tf.oneHot(tf.reshape(tf.cast(labels, "int32"), [-1]) as tf.Tensor1D, classes);
    const logp = tf.logSoftmax(flat);
    return tf.neg(tf.mean(tf.sum(tf.mul(target, logp), -1))) as tf.Scalar;
  });
}

/** Stage-2 total: L_AU + lambda * L_E (official ME-GraphAU lambda 0.001; the occlusion paper uses 0.01). */
export function stage2Loss(auLoss: tf.Scalar, edgeLoss: tf.Scalar, lambda = 0.001): tf.Scalar {
  return tf.tidy(() => tf.add(auLoss, tf.mul(edgeLoss, lambda)) as tf.Scalar);
}

// Weighted asymmetric loss for AU probabilities (ME-GraphAU utils.py
// WeightedAsymmetricLoss; occlusion paper eq. 4-5):
//   p_m = max(p - m, 0)
//   L = -mean_b mean_i w_i [ y log(max(p_m, eps)) + (1 - y) (p_m)^gamma log(max(1 - p_m, eps)) ]
// The negative-sample weight (p_m)^gamma is a constant for backprop (computed without
// gradients), and the clamps pass no gradient where they clamp. The official loss is
// m = 0, gamma = 1. The inputs are probabilities: there is no sigmoid inside.
import * as tf from "@tensorflow/tfjs-core";

export interface WalOptions {
  /** Per-AU weights w_i [N] (see auWeightsFromRates); omitted: all 1. */
  weights?: tf.Tensor1D | ArrayLike<number>;
  /** Probability margin m (default 0). */
  margin?: number;
  /** Exponent gamma of the negative weight (default 1). */
  gamma?: number;
  /** Clamp of the log arguments (default 1e-8). */
  eps?: number;
}

/** x with a zero gradient (torch's detach). */
function detach(x: tf.Tensor): tf.Tensor {
  const op = tf.customGrad((...args: unknown[]) => {
    const input = args[0] as tf.Tensor;
    return { value: tf.clone(input), gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.zerosLike(dy as tf.Tensor) };
  });
  return (op as unknown as (t: tf.Tensor) => tf.Tensor)(x);
}

/** prob, labels [B, N] (labels 0/1 as floats) -> scalar loss. */
export function weightedAsymmetricLoss(prob: tf.Tensor, labels: tf.Tensor, options: WalOptions = {}): tf.Scalar {
  const { margin = 0, gamma = 1, eps = 1e-8 } = options;
  if (prob.shape.join() !== labels.shape.join()) {
    throw new Error(`weightedAsymmetricLoss: prob [${prob.shape}] and labels [${labels.shape}] differ in shape`);
  }
  if (!(margin >= 0 && margin < 1)) throw new Error(`weightedAsymmetricLoss: margin must be in [0, 1), got ${margin}`);
  return tf.tidy(() => {
    const y = tf.cast(labels, "float32");
    const pm = margin > 0 ? tf.relu(tf.sub(prob, margin)) : prob;
    const losPos = tf.mul(y, tf.log(tf.maximum(pm, eps)));
    const losNeg = tf.mul(tf.sub(1, y), tf.log(tf.maximum(tf.sub(1, pm), eps)));
    const negWeight = detach(gamma === 1 ? pm : tf.pow(pm, gamma));
    let loss = tf.add(losPos, tf.mul(negWeight, losNeg));
    if (options.weights !== undefined) {
      const n = prob.shape[prob.rank - 1];
      const w = options.weights instanceof tf.Tensor ? options.weights : tf.tensor1d(Array.from(options.weights));
      if (w.size !== n) throw new Error(`weightedAsymmetricLoss: ${w.size} weights for ${n} AUs`);
      loss = tf.mul(loss, w);
    }
    return tf.neg(tf.mean(loss)) as tf.Scalar;
  });
}

/**
 * Per-AU loss weights from training occurrence rates r_i (fraction of positive frames),
 * as ME-GraphAU's weight files are made: w_i = (1 / r_i) / sum_j (1 / r_j) * N, so the
 * weights sum to N and rare AUs weigh more.
 */
export function auWeightsFromRates(rates: ArrayLike<number>): Float32Array {
  const n = rates.length;
  if (n === 0) throw new Error("auWeightsFromRates: no AUs");
  const inv = Array.from(rates, (r, i) => {
    if (!(r > 0 && r <= 1)) throw new RangeError(`auWeightsFromRates: occurrence rate of AU ${i} must be in (0, 1], got ${r}`);
    return 1 / r;
  });
  const total = inv.reduce((a, v) => a + v, 0);
  return Float32Array.from(inv, (v) => (v / total) * n);
}

/** Occurrence rate of each AU over a label matrix [S, N] given row-major (label > 0 counts as present). */
export function auOccurrenceRates(labels: ArrayLike<number>, numClasses: number): Float64Array {
  const samples = labels.length / numClasses;
  if (!Number.isInteger(samples) || samples === 0) {
    throw new Error(`auOccurrenceRates: ${labels.length} labels is not a whole number of ${numClasses}-AU rows`);
  }
  const rates = new Float64Array(numClasses);
  for (let s = 0; s < samples; s++) for (let j = 0; j < numClasses; j++) if (labels[s * numClasses + j] > 0) rates[j]++;
  for (let j = 0; j < numClasses; j++) rates[j] /= samples;
  return rates;
}

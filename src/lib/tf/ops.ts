// Neural-network building blocks that tfjs-core lacks, written once so that every
// model uses the same definitions (and the parity suite checks exactly these).
import * as tf from "@tensorflow/tfjs-core";
import {
  FUSED_BATCH_NORM, FUSED_BATCH_NORM_GRAD, FUSED_GELU, FUSED_GELU_GRAD, FUSED_LAYER_NORM, FUSED_LAYER_NORM_GRAD,
  FUSED_MIN_SIZE, hasFused,
} from "./fused.js";

type LayerNormFn = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor;
const fusedLayerNorms = new Map<number, LayerNormFn>();

/** The fused LayerNorm with its gradient, for one eps. */
function fusedLayerNorm(eps: number): LayerNormFn {
  let f = fusedLayerNorms.get(eps);
  if (!f) {
    f = tf.customGrad((x, gamma, beta, save) => {
      const [y, mean, rstd] = tf.engine().runKernel(
        FUSED_LAYER_NORM, { x: x as tf.Tensor, gamma: gamma as tf.Tensor, beta: beta as tf.Tensor }, { eps } as never,
      ) as tf.Tensor[];
      (save as tf.GradSaveFunc)([x as tf.Tensor, gamma as tf.Tensor, mean, rstd]);
      return {
        value: y,
        gradFunc: (dy, [xs, g, m, r]) =>
          tf.engine().runKernel(FUSED_LAYER_NORM_GRAD, { x: xs, gamma: g, mean: m, rstd: r, dy: dy as tf.Tensor }) as tf.Tensor[],
      };
    }) as unknown as LayerNormFn;
    fusedLayerNorms.set(eps, f);
  }
  return f;
}

/**
 * LayerNorm over the last axis with biased variance, as torch.nn.LayerNorm. x: [..., D].
 * Where the backend has the fused kernels (wasm) and D is a multiple of 4, forward and
 * gradient are one pass each.
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = 1e-6): tf.Tensor {
  const d = x.shape[x.rank - 1];
  if (hasFused(FUSED_LAYER_NORM) && x.dtype === "float32" && x.rank >= 1 && d % 4 === 0 && d >= 4 && gamma.size === d && beta.size === d) {
    return fusedLayerNorm(eps)(x, gamma, beta);
  }
  return tf.tidy(() => {
    const axis = x.rank - 1;
    const mean = tf.mean(x, axis, true);
    const centred = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centred), axis, true);
    return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, eps))), gamma), beta);
  });
}

/** Train-mode BatchNorm's output and the batch statistics of each channel. */
export interface BatchNormTrainResult {
  y: tf.Tensor;
  /** Per-channel batch mean. */
  mean: tf.Tensor1D;
  /** Per-channel biased batch variance. */
  variance: tf.Tensor1D;
}

/**
 * Train-mode BatchNorm over the last axis in one fused kernel (forward) and one for the
 * gradient, where the backend has them (wasm) and the channel count is a multiple of 4;
 * null elsewhere (the caller computes it op by op). The statistics carry no gradient: they
 * are for the running averages (the gradient through them is inside the fused one).
 */
export function fusedBatchNormTrain(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): BatchNormTrainResult | null {
  const c = x.shape[x.rank - 1];
  const usable = hasFused(FUSED_BATCH_NORM) && x.dtype === "float32" && x.rank >= 2 && c % 4 === 0 && c >= 4 &&
    x.size > c && gamma.size === c && beta.size === c;
  if (!usable) return null;
  let stats: tf.Tensor[] = [];
  const op = tf.customGrad((xs, g, b, save) => {
    const [y, mean, variance, rstd] = tf.engine().runKernel(
      FUSED_BATCH_NORM, { x: xs as tf.Tensor, gamma: g as tf.Tensor, beta: b as tf.Tensor }, { eps } as never,
    ) as tf.Tensor[];
    (save as tf.GradSaveFunc)([xs as tf.Tensor, g as tf.Tensor, mean, rstd]);
    // Kept past customGrad's scope for the caller; the saved copies serve the gradient.
    stats = [tf.keep(mean), tf.keep(variance)];
    return {
      value: y,
      gradFunc: (dy, [sx, sg, sm, sr]) =>
        tf.engine().runKernel(FUSED_BATCH_NORM_GRAD, { x: sx, gamma: sg, mean: sm, rstd: sr, dy: dy as tf.Tensor }) as tf.Tensor[],
    };
  }) as unknown as (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor;
  const y = op(x, gamma, beta);
  const [mean, variance] = stats as [tf.Tensor1D, tf.Tensor1D];
  return { y, mean, variance };
}

/**
 * Exact GELU, 0.5 x (1 + erf(x / sqrt 2)), as torch.nn.GELU() (not the tanh approximation).
 * Where the backend has the fused kernels (wasm), forward and gradient are one pass each.
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  if (hasFused(FUSED_GELU) && x.dtype === "float32" && x.size >= FUSED_MIN_SIZE) return fusedGelu(x);
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)));
}

const fusedGelu = tf.customGrad((x, save) => {
  (save as tf.GradSaveFunc)([x as tf.Tensor]);
  return {
    value: tf.engine().runKernel(FUSED_GELU, { x: x as tf.Tensor }) as tf.Tensor,
    gradFunc: (dy, [saved]) => tf.engine().runKernel(FUSED_GELU_GRAD, { x: saved, dy: dy as tf.Tensor }) as tf.Tensor,
  };
}) as (x: tf.Tensor) => tf.Tensor;

/**
 * y = x W + b over the last axis. W is stored [in, out] (the transpose of torch's
 * Linear weight). x: [..., in] -> [..., out]. Flattened to 2-D so that every
 * backend runs one plain (non-transposed) matmul.
 */
export function linear(x: tf.Tensor, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor {
  return tf.tidy(() => {
    const [inDim, outDim] = weight.shape;
    const lead = x.shape.slice(0, -1);
    const y = tf.matMul(tf.reshape(x, [-1, inDim]) as tf.Tensor2D, weight);
    const out = bias ? tf.add(y, bias) : y;
    return tf.reshape(out, [...lead, outDim]);
  });
}

/**
 * torch.nn.Linear: y = x W^T + b with W stored as torch stores it, [out, in], so
 * that weights keep their official layout. The matmul reads W transposed in place.
 */
export function linearT(x: tf.Tensor, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor {
  return tf.tidy(() => {
    const [outDim, inDim] = weight.shape;
    const y = tf.matMul(tf.reshape(x, [-1, inDim]) as tf.Tensor2D, weight, false, true);
    return tf.reshape(bias ? tf.add(y, bias) : y, [...x.shape.slice(0, -1), outDim]);
  });
}

// Names of MaskAU's fused kernels. A backend that registers one (wasm and webgpu do, see
// ./kernels/wasm-fused.ts and ./kernels/webgpu-fused.ts) runs it; on the others the same
// computation runs op by op.
import * as tf from "@tensorflow/tfjs-core";

/** y = GELU(x) (exact). Inputs {x}. */
export const FUSED_GELU = "MaskauGelu";
/** dx = dy · GELU'(x). Inputs {x, dy}. */
export const FUSED_GELU_GRAD = "MaskauGeluGrad";
/**
 * One AdamW update. Inputs {p, g, m, v}; attrs {oneMinusBeta1, beta2, oneMinusBeta2,
 * bias2Sqrt, eps, decay, stepSize}; outputs [p', m', v'].
 */
export const FUSED_ADAMW = "MaskauAdamW";

/**
 * LayerNorm over the last axis. Inputs {x, gamma, beta}; attrs {eps}; outputs [y, mean,
 * rstd] (mean and 1/sqrt(var + eps) per row, for the gradient).
 */
export const FUSED_LAYER_NORM = "MaskauLayerNorm";
/** Its gradient. Inputs {x, gamma, mean, rstd, dy}; outputs [dx, dgamma, dbeta]. */
export const FUSED_LAYER_NORM_GRAD = "MaskauLayerNormGrad";

/**
 * Train-mode BatchNorm over the last axis (channels last). Inputs {x, gamma, beta}; attrs
 * {eps}; outputs [y, mean, variance, rstd] per channel (biased variance; rstd =
 * 1/sqrt(variance + eps)).
 */
export const FUSED_BATCH_NORM = "MaskauBatchNorm";
/** Its gradient. Inputs {x, gamma, mean, rstd, dy}; outputs [dx, dgamma, dbeta]. */
export const FUSED_BATCH_NORM_GRAD = "MaskauBatchNormGrad";

/** The fused kernels work 4 elements at a time: smaller tensors take the op-by-op path. */
export const FUSED_MIN_SIZE = 4;

/** Whether the running backend has a fused kernel. */
export function hasFused(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

// MaskAU's fused kernels on wasm (names in ../fused.ts, code in ../wasm/pointwise.wat) and
// a Sum that reduces leading axes (bias and norm-weight gradients) in one pass.
import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { heapOffset as offset, wasmHeap, withFallback, type KernelArgs } from "./kernel-access.js";
import { pointwiseFor } from "../wasm/pointwise.js";
import { FUSED_MIN_SIZE } from "../fused.js";

const kernels = (backend: unknown) => pointwiseFor(wasmHeap(backend));

/** The fused kernels take float32 inputs of at least FUSED_MIN_SIZE elements. */
function check(kernel: string, inputs: Record<string, tf.TensorInfo>): void {
  for (const [name, t] of Object.entries(inputs)) {
    if (t.dtype !== "float32") throw new Error(`${kernel}: input ${name} must be float32, got ${t.dtype}`);
    if (tf.util.sizeFromShape(t.shape) < FUSED_MIN_SIZE) throw new Error(`${kernel}: input ${name} needs at least ${FUSED_MIN_SIZE} elements`);
  }
}

export function geluWasm({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const { x } = inputs as { x: tf.TensorInfo };
  check("gelu", { x });
  const wasm = backend as BackendWasm;
  const out = wasm.makeOutput(x.shape, "float32");
  kernels(wasm).gelu(offset(wasm, x), 0, offset(wasm, out), tf.util.sizeFromShape(x.shape), 0);
  return out;
}

export function geluGradWasm({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  check("gelu gradient", { x, dy });
  const wasm = backend as BackendWasm;
  const out = wasm.makeOutput(x.shape, "float32");
  kernels(wasm).gelu(offset(wasm, x), offset(wasm, dy), offset(wasm, out), tf.util.sizeFromShape(x.shape), 1);
  return out;
}

export interface AdamWAttrs {
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  bias2Sqrt: number;
  eps: number;
  decay: number;
  stepSize: number;
}

export function adamwWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { p, g, m, v } = inputs as { p: tf.TensorInfo; g: tf.TensorInfo; m: tf.TensorInfo; v: tf.TensorInfo };
  check("AdamW", { p, g, m, v });
  const a = attrs as unknown as AdamWAttrs;
  const wasm = backend as BackendWasm;
  const [pOut, mOut, vOut] = [wasm.makeOutput(p.shape, "float32"), wasm.makeOutput(p.shape, "float32"), wasm.makeOutput(p.shape, "float32")];
  kernels(wasm).adamw(
    offset(wasm, p), offset(wasm, g), offset(wasm, m), offset(wasm, v),
    offset(wasm, pOut), offset(wasm, mOut), offset(wasm, vOut), tf.util.sizeFromShape(p.shape),
    a.oneMinusBeta1, a.beta2, a.oneMinusBeta2, a.bias2Sqrt, a.eps, a.decay, a.stepSize,
  );
  return [pOut, mOut, vOut];
}

export function layerNormWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { x, gamma, beta } = inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
  check("layerNorm", { x, gamma, beta });
  const { eps } = attrs as unknown as { eps: number };
  const d = x.shape[x.shape.length - 1];
  if (d % 4 !== 0 || gamma.shape.join() !== `${d}` || beta.shape.join() !== `${d}`) {
    throw new Error(`layerNorm: needs a last axis that is a multiple of 4 and gamma, beta of shape [${d}]`);
  }
  const rows = tf.util.sizeFromShape(x.shape) / d;
  const wasm = backend as BackendWasm;
  const [y, mean, rstd] = [wasm.makeOutput(x.shape, "float32"), wasm.makeOutput([rows], "float32"), wasm.makeOutput([rows], "float32")];
  kernels(wasm).layerNorm(
    offset(wasm, x), offset(wasm, gamma), offset(wasm, beta), offset(wasm, y), offset(wasm, mean), offset(wasm, rstd), rows, d, eps,
  );
  return [y, mean, rstd];
}

export function layerNormGradWasm({ inputs, backend }: KernelArgs): tf.TensorInfo[] {
  const { x, gamma, mean, rstd, dy } = inputs as Record<"x" | "gamma" | "mean" | "rstd" | "dy", tf.TensorInfo>;
  check("layerNorm gradient", { x, gamma, dy });
  const d = x.shape[x.shape.length - 1];
  const rows = tf.util.sizeFromShape(x.shape) / d;
  const wasm = backend as BackendWasm;
  const [dx, dgamma, dbeta] = [wasm.makeOutput(x.shape, "float32"), wasm.makeOutput([d], "float32"), wasm.makeOutput([d], "float32")];
  kernels(wasm).layerNormGrad(
    offset(wasm, x), offset(wasm, gamma), offset(wasm, mean), offset(wasm, rstd), offset(wasm, dy),
    offset(wasm, dx), offset(wasm, dgamma), offset(wasm, dbeta), rows, d,
  );
  return [dx, dgamma, dbeta];
}

/** Rows and channels of a channels-last tensor whose channel count is a multiple of 4 and matches gamma. */
function channelsLast(kernel: string, x: tf.TensorInfo, gamma: tf.TensorInfo): [number, number] {
  const c = x.shape[x.shape.length - 1];
  if (c % 4 !== 0 || gamma.shape.join() !== `${c}`) {
    throw new Error(`${kernel}: needs a last (channel) axis that is a multiple of 4 and gamma of shape [${c}], got x [${x.shape}], gamma [${gamma.shape}]`);
  }
  return [tf.util.sizeFromShape(x.shape) / c, c];
}

export function batchNormWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { x, gamma, beta } = inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
  check("batchNorm", { x, gamma, beta });
  const { eps } = attrs as unknown as { eps: number };
  const [rows, c] = channelsLast("batchNorm", x, gamma);
  if (beta.shape.join() !== `${c}`) throw new Error(`batchNorm: beta must have shape [${c}], got [${beta.shape}]`);
  const wasm = backend as BackendWasm;
  const [y, mean, variance, rstd] = [x.shape, [c], [c], [c]].map((s) => wasm.makeOutput(s, "float32"));
  kernels(wasm).batchNorm(
    offset(wasm, x), offset(wasm, gamma), offset(wasm, beta), offset(wasm, y),
    offset(wasm, mean), offset(wasm, variance), offset(wasm, rstd), rows, c, eps,
  );
  return [y, mean, variance, rstd];
}

export function batchNormGradWasm({ inputs, backend }: KernelArgs): tf.TensorInfo[] {
  const { x, gamma, mean, rstd, dy } = inputs as Record<"x" | "gamma" | "mean" | "rstd" | "dy", tf.TensorInfo>;
  check("batchNorm gradient", { x, gamma, mean, rstd, dy });
  const [rows, c] = channelsLast("batchNorm gradient", x, gamma);
  const wasm = backend as BackendWasm;
  const [dx, dgamma, dbeta] = [x.shape, [c], [c]].map((s) => wasm.makeOutput(s, "float32"));
  kernels(wasm).batchNormGrad(
    offset(wasm, x), offset(wasm, gamma), offset(wasm, mean), offset(wasm, rstd), offset(wasm, dy),
    offset(wasm, dx), offset(wasm, dgamma), offset(wasm, dbeta), rows, c,
  );
  return [dx, dgamma, dbeta];
}

/** Sum for wasm: a float32 sum over leading axes runs as column sums; the rest as before. */
export const makeSumWasm = withFallback(tf.Sum, ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const { axis, keepDims } = attrs as unknown as tf.SumAttrs;
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
  const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i);
  if (x.dtype !== "float32" || !leading) return undefined;
  const rows = tf.util.sizeFromShape(x.shape.slice(0, axes.length));
  const rest = x.shape.slice(axes.length);
  const wasm = backend as BackendWasm;
  const out = wasm.makeOutput(keepDims ? [...axes.map(() => 1), ...rest] : rest, "float32");
  kernels(wasm).columnSums(offset(wasm, x), rows, tf.util.sizeFromShape(rest), offset(wasm, out));
  return out;
});

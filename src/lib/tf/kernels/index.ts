// Replacements for kernels and gradients that a backend lacks or gets wrong.
// Registered once, before any op runs, so no other code special-cases a backend.
// Each gap was reproduced with tfjs 4.22; tests/lib/tf/kernels.test.ts and parity.test.ts
// fail without the fixes.
import * as tf from "@tensorflow/tfjs-core";
import { avgPoolGradConfig } from "./avg-pool-grad.js";
import { batchMatMulGradConfig } from "./batch-matmul-grad.js";
import { registerCoreGradients } from "./core-gradients.js";
import { resizeBilinearGradConfig } from "./resize-bilinear-grad.js";
import { makeStridedSliceFix } from "./strided-slice.js";
import { stridedSliceGradConfig } from "./strided-slice-grad.js";
import { makeBatchMatMulWasm } from "./wasm-batch-matmul.js";
import { makeCastWasm, makeIdentityWasm } from "./wasm-identity.js";
import { makeGatherWasm, makeSplitWasm } from "./wasm-copy.js";
import {
  adamwWasm, batchNormGradWasm, batchNormWasm, geluGradWasm, geluWasm, layerNormGradWasm, layerNormWasm, makeSumWasm,
} from "./wasm-fused.js";
import {
  FUSED_ADAMW, FUSED_BATCH_NORM, FUSED_BATCH_NORM_GRAD, FUSED_GELU, FUSED_GELU_GRAD, FUSED_LAYER_NORM, FUSED_LAYER_NORM_GRAD,
} from "../fused.js";
import {
  adamwWebGPU, batchNormGradWebGPU, batchNormWebGPU, geluGradWebGPU, geluWebGPU, layerNormGradWebGPU, layerNormWebGPU,
} from "./webgpu-fused.js";
import { conv2DBackpropFilterWasm } from "./wasm-conv2d-backprop-filter.js";
import { makeConv2DBackpropInputWasm } from "./wasm-conv2d-backprop-input.js";
import { depthwiseBackpropFilterWasm, depthwiseBackpropInputWasm } from "./wasm-depthwise-backprop.js";
import { maxPoolGradWasm, maxPoolWithArgmaxWasm } from "./wasm-max-pool.js";
import { oneHotWasm } from "./wasm-one-hot.js";
import { makeBroadcastWasm } from "./wasm-broadcast.js";
import { unsortedSegmentSumWasm } from "./wasm-unsorted-segment-sum.js";

/** One registered fix, for `maskau info` and logs. */
export interface KernelFix {
  /** Kernel (or op, for gradients) that is provided or replaced. */
  name: string;
  /** Backend it applies to, or "all" for a gradient. */
  backend: string;
  /**
   * "missing": the backend had none; "wrong": it gave wrong results; "slow": it was far too
   * slow; "fused": one of MaskAU's own kernels (../fused.ts) that replaces a chain of ops.
   */
  kind: "missing" | "wrong" | "slow" | "fused";
  reason: string;
}

interface KernelReplacement extends KernelFix {
  /** The replacement, given the kernel it replaces (if any) to fall back on. */
  make: (original: tf.KernelFunc | undefined) => tf.KernelFunc;
}

const fixed = (f: unknown) => () => f as tf.KernelFunc;

const KERNELS: KernelReplacement[] = [
  {
    name: tf.BatchMatMul, backend: "wasm", kind: "slow", make: makeBatchMatMulWasm,
    reason: "batched products and transposeA/B ran in a scalar loop 10-50x slower than XNNPACK's single product, "
      + "and XNNPACK repacked the second operand on every call (see ../wasm/gemm.ts)",
  },
  {
    name: tf.Identity, backend: "wasm", kind: "slow", make: makeIdentityWasm,
    reason: "copied the data of every tensor the engine saved for a gradient",
  },
  {
    name: tf.Cast, backend: "wasm", kind: "slow", make: makeCastWasm,
    reason: "a cast to the same dtype copied the data",
  },
  {
    name: tf.GatherV2, backend: "wasm", kind: "slow", make: makeGatherWasm,
    reason: "a row gather ran element by element (10 ms for 2,048 rows of 128)",
  },
  {
    name: tf.SplitV, backend: "wasm", kind: "slow", make: makeSplitWasm,
    reason: "a split into contiguous blocks ran element by element",
  },
  {
    name: tf.Sum, backend: "wasm", kind: "slow", make: makeSumWasm,
    reason: "a sum over leading axes (every bias gradient) transposed the whole tensor first",
  },
  ...([tf.Add, tf.Sub, tf.Multiply, tf.RealDiv] as const).map((name): KernelReplacement => ({
    name, backend: "wasm", kind: "slow", make: makeBroadcastWasm(name),
    reason: "with broadcasting (bias adds, per-node scales) it ran element by element with an index computation each, 3-5x slower than without",
  })),
  {
    name: FUSED_GELU, backend: "wasm", kind: "fused", make: fixed(geluWasm),
    reason: "exact GELU in one SIMD pass instead of five kernels and a scalar erf",
  },
  {
    name: FUSED_GELU_GRAD, backend: "wasm", kind: "fused", make: fixed(geluGradWasm),
    reason: "GELU's gradient in one SIMD pass instead of about ten kernels and a scalar exp",
  },
  {
    name: FUSED_LAYER_NORM, backend: "wasm", kind: "fused", make: fixed(layerNormWasm),
    reason: "LayerNorm in one pass over the rows instead of nine kernels",
  },
  {
    name: FUSED_LAYER_NORM_GRAD, backend: "wasm", kind: "fused", make: fixed(layerNormGradWasm),
    reason: "LayerNorm's gradient in one pass over the rows instead of about twenty kernels",
  },
  {
    name: FUSED_BATCH_NORM, backend: "wasm", kind: "fused", make: fixed(batchNormWasm),
    reason: "train-mode BatchNorm over channels in three passes instead of about twelve broadcasting kernels",
  },
  {
    name: FUSED_BATCH_NORM_GRAD, backend: "wasm", kind: "fused", make: fixed(batchNormGradWasm),
    reason: "BatchNorm's gradient in two passes instead of about twenty-five kernels",
  },
  {
    name: FUSED_ADAMW, backend: "wasm", kind: "fused", make: fixed(adamwWasm),
    reason: "one AdamW update per parameter in one pass instead of 14 kernels",
  },
  {
    name: FUSED_ADAMW, backend: "webgpu", kind: "fused", make: fixed(adamwWebGPU),
    reason: "one AdamW update per parameter in 3 dispatches (m', v', then p') instead of 14",
  },
  {
    name: FUSED_GELU, backend: "webgpu", kind: "fused", make: fixed(geluWebGPU),
    reason: "exact GELU in one dispatch instead of five",
  },
  {
    name: FUSED_GELU_GRAD, backend: "webgpu", kind: "fused", make: fixed(geluGradWebGPU),
    reason: "GELU's gradient in one dispatch instead of about ten",
  },
  {
    name: FUSED_LAYER_NORM, backend: "webgpu", kind: "fused", make: fixed(layerNormWebGPU),
    reason: "LayerNorm in 3 dispatches (row means, row rstd, y) instead of nine",
  },
  {
    name: FUSED_LAYER_NORM_GRAD, backend: "webgpu", kind: "fused", make: fixed(layerNormGradWebGPU),
    reason: "LayerNorm's gradient in 3 dispatches (dx, dgamma, dbeta) instead of about twenty",
  },
  {
    name: FUSED_BATCH_NORM, backend: "webgpu", kind: "fused", make: fixed(batchNormWebGPU),
    reason: "train-mode BatchNorm over channels in 4 dispatches (means, variances, rstd, y) instead of about twelve",
  },
  {
    name: FUSED_BATCH_NORM_GRAD, backend: "webgpu", kind: "fused", make: fixed(batchNormGradWebGPU),
    reason: "BatchNorm's gradient in 3 dispatches (dbeta, dgamma, dx) instead of about twenty-five",
  },
  {
    name: tf.Conv2DBackpropFilter, backend: "wasm", kind: "missing", make: fixed(conv2DBackpropFilterWasm),
    reason: "conv2d had no filter gradient",
  },
  {
    name: tf.Conv2DBackpropInput, backend: "wasm", kind: "slow", make: makeConv2DBackpropInputWasm,
    reason: "conv2d's input gradient ran about 10x slower than the forward convolution",
  },
  {
    name: tf.DepthwiseConv2dNativeBackpropFilter, backend: "wasm", kind: "missing",
    make: fixed(depthwiseBackpropFilterWasm), reason: "depthwiseConv2d had no filter gradient",
  },
  {
    name: tf.DepthwiseConv2dNativeBackpropInput, backend: "wasm", kind: "missing",
    make: fixed(depthwiseBackpropInputWasm), reason: "depthwiseConv2d had no input gradient",
  },
  {
    name: tf.UnsortedSegmentSum, backend: "wasm", kind: "missing", make: fixed(unsortedSegmentSumWasm),
    reason: "unsortedSegmentSum failed and gather had no gradient",
  },
  {
    name: tf.OneHot, backend: "wasm", kind: "wrong", make: fixed(oneHotWasm),
    reason: "float32 one-hot held 1.4e-45 instead of 1",
  },
  {
    name: tf.MaxPoolGrad, backend: "wasm", kind: "wrong", make: fixed(maxPoolGradWasm),
    reason: "gradient of windows with only negative values went to the wrong element",
  },
  {
    name: tf.MaxPoolWithArgmax, backend: "wasm", kind: "wrong", make: fixed(maxPoolWithArgmaxWasm),
    reason: "windows with only negative values gave 1.2e-38 and index 0",
  },
  ...(["cpu", "wasm", "webgpu", "webgl"] as const).map((backend): KernelReplacement => ({
    name: tf.StridedSlice, backend, kind: "wrong", make: makeStridedSliceFix(backend),
    reason: "with a shrink axis before a strided one, the slice read the wrong elements",
  })),
];

const GRADIENTS: (KernelFix & { config: tf.GradConfig })[] = [
  {
    name: tf.BatchMatMul, backend: "all", kind: "wrong", config: batchMatMulGradConfig,
    reason: "with broadcast batch dimensions the gradient kept the broadcast shape and the engine threw",
  },
  {
    name: tf.StridedSlice, backend: "all", kind: "missing", config: stridedSliceGradConfig,
    reason: "stridedSlice had no gradient",
  },
  {
    name: tf.ResizeBilinear, backend: "all", kind: "wrong", config: resizeBilinearGradConfig,
    reason: "gradient ignored halfPixelCenters everywhere; cpu returned a transposed shape for non-square images",
  },
  {
    name: tf.AvgPool, backend: "all", kind: "wrong", config: avgPoolGradConfig,
    reason: "with same padding the gradient divided border windows by the full window size, unlike the forward pass",
  },
];

let registering: Promise<void> | undefined;

/**
 * Registers tfjs-core's gradients (MaskAU imports tfjs-core alone, which registers none)
 * and the fixes listed in KERNELS and GRADIENTS. Idempotent; initBackend awaits it.
 */
export function registerKernelFixes(): Promise<void> {
  registering ??= (async () => {
    await registerCoreGradients();
    for (const { config } of GRADIENTS) tf.registerGradient(config);
    for (const fix of KERNELS) {
      const original = tf.getKernel(fix.name, fix.backend);
      if (original && fix.kind === "missing") continue; // a newer tfjs provides it: keep it
      if (!original && fix.kind !== "missing" && fix.kind !== "fused") continue; // backend not loaded here: nothing to correct
      // webgpu's factory is registered later (initBackend, once a WebGPU entry point is known).
      if (fix.kind === "fused" && fix.backend !== "webgpu" && !tf.findBackendFactory(fix.backend)) continue;
      if (original) tf.unregisterKernel(fix.name, fix.backend);
      tf.registerKernel({
        kernelName: fix.name,
        backendName: fix.backend,
        kernelFunc: fix.make(original?.kernelFunc),
        // wasm kernels bind their native function in setupFunc: keep it for the fallbacks.
        setupFunc: original?.setupFunc,
        disposeFunc: original?.disposeFunc,
      });
    }
  })();
  return registering;
}

/** What registerKernelFixes provides or replaces, and why. */
export function kernelFixes(): KernelFix[] {
  return [...KERNELS, ...GRADIENTS].map(({ name, backend, kind, reason }) => ({ name, backend, kind, reason }));
}

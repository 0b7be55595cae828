// Patch matrices (im2col) for the wasm convolution gradients. Row n = (b, oh, ow) of the
// convolution output, column (kh, kw, ci) of the filter, so a convolution is
// patches [N, KH*KW*CI] @ filter [KH*KW*CI, CO]. Its gradients are then plain matmuls that
// run on wasm's matmul: the filter gradient's P^T is written by ../wasm/patches.wat straight
// into the matmul's packed layout; the input gradient's col2im (addPatches) runs here.
import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { runBackendKernel } from "./kernel-access.js";

/** Geometry of a 2-D convolution (dilation 1), NHWC. */
export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

export function convGeometry(info: tf.backend_util.Conv2DInfo): ConvGeometry {
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    throw new Error("the wasm convolution gradients support dilation 1 only (as tfjs's conv2d gradient does)");
  }
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/**
 * Largest patch matrix built at once, in floats (32 MiB); bigger problems go in chunks of
 * whole images. Mutable so that tests can exercise the chunked path with small inputs.
 */
export const patchLimits = { chunkFloats: 1 << 23 };

/** Images per chunk so that a chunk's patch matrix stays within patchLimits.chunkFloats. */
export function imagesPerChunk(g: ConvGeometry): number {
  const perImage = g.outHeight * g.outWidth * g.filterHeight * g.filterWidth * g.inChannels;
  return Math.max(1, Math.min(g.batch, Math.floor(patchLimits.chunkFloats / perImage)));
}

/**
 * Adds patch rows [n, KH*KW*CI] of images [b0, b1) back onto `dx` (col2im: the adjoint of
 * building the patch matrix).
 */
export function addPatches(dx: Float32Array, patches: Float32Array, g: ConvGeometry, b0: number, b1: number): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: KH, filterWidth: KW } = g;
  const run = KW * C;
  let src = 0;
  for (let b = b0; b < b1; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const x0 = ow * g.strideWidth - g.padLeft;
        const inside = x0 >= 0 && x0 + KW <= W;
        for (let kh = 0; kh < KH; kh++, src += run) {
          const y = oh * g.strideHeight + kh - g.padTop;
          if (y < 0 || y >= H) continue;
          if (inside) {
            const dst = ((b * H + y) * W + x0) * C;
            for (let i = 0; i < run; i++) dx[dst + i] += patches[src + i];
          } else {
            for (let kw = 0; kw < KW; kw++) {
              const xx = x0 + kw;
              if (xx < 0 || xx >= W) continue;
              const dst = ((b * H + y) * W + xx) * C;
              const s0 = src + kw * C;
              for (let c = 0; c < C; c++) dx[dst + c] += patches[s0 + c];
            }
          }
        }
      }
    }
  }
}

/** Runs a wasm kernel and frees its inputs listed in `release` (intermediates of a composite). */
export function wasmKernel(
  backend: BackendWasm,
  name: string,
  inputs: tf.NamedTensorInfoMap,
  attrs: object = {},
  release: tf.TensorInfo[] = [],
): tf.TensorInfo {
  const out = runBackendKernel(name, "wasm", backend, inputs, attrs);
  for (const t of release) backend.disposeData(t.dataId);
  return out;
}

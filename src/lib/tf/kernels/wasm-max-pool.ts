// MaxPoolGrad and MaxPoolWithArgmax for wasm. The built-in kernels start each window's
// running maximum at the smallest positive float instead of -Infinity, so a window whose
// values are all negative sent its gradient (or its argmax) to the wrong element. Both
// replacements pick the first maximum of each window in row-major order, as cpu does;
// MaxPoolGrad does it 4 channels at a time in wasm (../wasm/pool.wat) when it can.
import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { heapOffset, shape4, wasmHeap, type KernelArgs } from "./kernel-access.js";
import { poolFor } from "../wasm/pool.js";

/**
 * Calls visit(outIndex, inIndex) with the flat NHWC index of the first maximum of every
 * pooling window (windows entirely in padding are skipped).
 */
function forEachWindowMax(
  x: ArrayLike<number>,
  info: tf.backend_util.Conv2DInfo,
  visit: (outIndex: number, inIndex: number) => void,
): void {
  const { batchSize, inHeight, inWidth, inChannels: ch, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { effectiveFilterHeight: fh, effectiveFilterWidth: fw, dilationHeight, dilationWidth } = info;
  const best = new Float32Array(ch);
  const where = new Int32Array(ch);
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        best.fill(-Infinity);
        where.fill(-1);
        for (let fy = 0; fy < fh; fy += dilationHeight) {
          const y = oy * strideHeight - info.padInfo.top + fy;
          if (y < 0 || y >= inHeight) continue;
          for (let fx = 0; fx < fw; fx += dilationWidth) {
            const xx = ox * strideWidth - info.padInfo.left + fx;
            if (xx < 0 || xx >= inWidth) continue;
            const base = ((b * inHeight + y) * inWidth + xx) * ch;
            for (let c = 0; c < ch; c++) {
              const v = x[base + c];
              if (v > best[c] || where[c] < 0) {
                best[c] = v;
                where[c] = base + c;
              }
            }
          }
        }
        const outBase = ((b * outHeight + oy) * outWidth + ox) * ch;
        for (let c = 0; c < ch; c++) if (where[c] >= 0) visit(outBase + c, where[c]);
      }
    }
  }
}

export function maxPoolGradWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const wasm = backend as BackendWasm;
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(shape4(input, "MaxPoolGrad input"), filterSize, strides, 1, pad, dimRoundingMode);
  const out = wasm.makeOutput(input.shape, "float32");
  const dx = wasm.typedArrayFromHeap(out) as Float32Array;
  dx.fill(0);
  if (poolKernel.simd && info.inChannels % 4 === 0 && info.dilationHeight === 1 && info.dilationWidth === 1) {
    // Four channels at a time in wasm: the same windows, maxima and order of sums, so the same bits.
    poolFor(wasmHeap(wasm)).maxPoolGrad(
      heapOffset(wasm, input), heapOffset(wasm, dy), heapOffset(wasm, out),
      info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth,
      info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left,
    );
    return out;
  }
  addWindowMaxGradients(wasm.typedArrayFromHeap(input) as Float32Array, wasm.typedArrayFromHeap(dy) as Float32Array, dx, info);
  return out;
}

/** Whether MaxPoolGrad runs the SIMD kernel where it can (../wasm/pool.wat); mutable so tests can compare it with the scalar loop. */
export const poolKernel = { simd: true };

/**
 * dx[first maximum of each window] += dy[window], as forEachWindowMax picks it, written out
 * with typed arrays and no callback: the backward pass of every ResNet stem runs it
 * (about 3x faster than through the visitor).
 */
function addWindowMaxGradients(x: Float32Array, dy: Float32Array, dx: Float32Array, info: tf.backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels: ch, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { effectiveFilterHeight: fh, effectiveFilterWidth: fw, dilationHeight, dilationWidth } = info;
  const { top, left } = info.padInfo;
  const best = new Float32Array(ch);
  const where = new Int32Array(ch);
  let o = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++, o += ch) {
        where.fill(-1);
        for (let fy = 0; fy < fh; fy += dilationHeight) {
          const y = oy * strideHeight - top + fy;
          if (y < 0 || y >= inHeight) continue;
          for (let fx = 0; fx < fw; fx += dilationWidth) {
            const xx = ox * strideWidth - left + fx;
            if (xx < 0 || xx >= inWidth) continue;
            const base = ((b * inHeight + y) * inWidth + xx) * ch;
            for (let c = 0; c < ch; c++) {
              const v = x[base + c];
              if (where[c] < 0 || v > best[c]) {
                best[c] = v;
                where[c] = base + c;
              }
            }
          }
        }
        for (let c = 0; c < ch; c++) if (where[c] >= 0) dx[where[c]] += dy[o + c];
      }
    }
  }
}

export function maxPoolWithArgmaxWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const wasm = backend as BackendWasm;
  const { x } = inputs as { x: tf.TensorInfo };
  const { filterSize, strides, pad, includeBatchInIndex } = attrs as unknown as tf.MaxPoolWithArgmaxAttrs;
  const info = tf.backend_util.computePool2DInfo(shape4(x, "MaxPoolWithArgmax input"), filterSize, strides, 1, pad);
  const outShape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  const result = wasm.makeOutput(outShape, "float32");
  const indexes = wasm.makeOutput(outShape, "int32");
  const xv = wasm.typedArrayFromHeap(x);
  const values = wasm.typedArrayFromHeap(result) as Float32Array;
  const argmax = wasm.typedArrayFromHeap(indexes) as Int32Array;
  values.fill(-Infinity);
  argmax.fill(0);
  const perImage = info.inHeight * info.inWidth * info.inChannels;
  forEachWindowMax(xv, info, (o, i) => {
    values[o] = xv[i];
    argmax[o] = includeBatchInIndex ? i : i % perImage;
  });
  return [result, indexes];
}

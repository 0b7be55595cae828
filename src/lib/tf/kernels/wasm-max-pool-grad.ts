// MaxPoolGrad for wasm: the built-in kernel sends the gradient of a window whose values are
// all negative to the wrong place. The gradient goes to the first maximum of each window in
// row-major order, as on the cpu backend.
import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { shape4, wasmOutputAndViews, type KernelArgs } from "./kernel-access.js";

export function maxPoolGradWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(shape4(input, "MaxPoolGrad input"), filterSize, strides, 1, pad, dimRoundingMode);
  const { out, outValues: dx, inputValues: [xv, dyv] } = wasmOutputAndViews(
    backend as BackendWasm, input.shape, "float32", [input, dy],
  );
  dx.fill(0);
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
            const x = ox * strideWidth - info.padInfo.left + fx;
            if (x < 0 || x >= inWidth) continue;
            const base = ((b * inHeight + y) * inWidth + x) * ch;
            for (let c = 0; c < ch; c++) {
              const v = xv[base + c];
              if (v > best[c] || where[c] < 0) {
                best[c] = v;
                where[c] = base + c;
              }
            }
          }
        }
        const dyBase = ((b * outHeight + oy) * outWidth + ox) * ch;
        for (let c = 0; c < ch; c++) if (where[c] >= 0) dx[where[c]] += dyv[dyBase + c];
      }
    }
  }
  return out;
}

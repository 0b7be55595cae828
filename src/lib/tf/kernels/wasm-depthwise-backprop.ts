// DepthwiseConv2dNativeBackpropFilter / -Input for wasm, which has neither. Depthwise
// convolutions are not on MaskAU's hot paths, so these are direct loops over wasm memory.
// Filter layout [KH, KW, CI, M] (M = channel multiplier); output channel ci*M + m.
import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { shape4, wasmOutputAndViews, type KernelArgs } from "./kernel-access.js";

export function depthwiseBackpropFilterWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, filterShape } =
    attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const info = tf.backend_util.computeConv2DInfo(
    shape4(x, "DepthwiseConv2dNativeBackpropFilter input x"), filterShape, strides, dilations, pad, dimRoundingMode, true,
  );
  const { out, outValues: dw, inputValues: [xv, dyv] } = wasmOutputAndViews(
    backend as BackendWasm, filterShape, "float32", [x, dy],
  );
  dw.fill(0);
  const [kh, kw, ci, mult] = filterShape;
  const { batchSize, inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const oc = ci * mult;
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const dyBase = ((b * outHeight + oy) * outWidth + ox) * oc;
        for (let fy = 0; fy < kh; fy++) {
          const y = oy * strideHeight + fy * dilationHeight - info.padInfo.top;
          if (y < 0 || y >= inHeight) continue;
          for (let fx = 0; fx < kw; fx++) {
            const xx = ox * strideWidth + fx * dilationWidth - info.padInfo.left;
            if (xx < 0 || xx >= inWidth) continue;
            const xBase = ((b * inHeight + y) * inWidth + xx) * ci;
            const wBase = (fy * kw + fx) * oc;
            for (let c = 0; c < ci; c++) {
              const xval = xv[xBase + c];
              for (let m = 0; m < mult; m++) dw[wBase + c * mult + m] += xval * dyv[dyBase + c * mult + m];
            }
          }
        }
      }
    }
  }
  return out;
}

export function depthwiseBackpropInputWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, inputShape } =
    attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const filterShape = shape4(filter, "DepthwiseConv2dNativeBackpropInput filter");
  const info = tf.backend_util.computeConv2DInfo(inputShape, filterShape, strides, dilations, pad, dimRoundingMode, true);
  const { out, outValues: dx, inputValues: [dyv, wv] } = wasmOutputAndViews(
    backend as BackendWasm, inputShape, "float32", [dy, filter],
  );
  dx.fill(0);
  const [kh, kw, ci, mult] = filterShape;
  const { batchSize, inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const oc = ci * mult;
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const dyBase = ((b * outHeight + oy) * outWidth + ox) * oc;
        for (let fy = 0; fy < kh; fy++) {
          const y = oy * strideHeight + fy * dilationHeight - info.padInfo.top;
          if (y < 0 || y >= inHeight) continue;
          for (let fx = 0; fx < kw; fx++) {
            const xx = ox * strideWidth + fx * dilationWidth - info.padInfo.left;
            if (xx < 0 || xx >= inWidth) continue;
            const xBase = ((b * inHeight + y) * inWidth + xx) * ci;
            const wBase = (fy * kw + fx) * oc;
            for (let c = 0; c < ci; c++) {
              let acc = 0;
              for (let m = 0; m < mult; m++) acc += dyv[dyBase + c * mult + m] * wv[wBase + c * mult + m];
              dx[xBase + c] += acc;
            }
          }
        }
      }
    }
  }
  return out;
}

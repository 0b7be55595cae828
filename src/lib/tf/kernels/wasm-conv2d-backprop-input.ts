// Conv2DBackpropInput for wasm. The built-in kernel is a direct loop about 10x slower than
// the forward convolution, which made conv2d's input gradient the bulk of a training step.
// Stride 1: dx is a convolution of dy with the filter flipped in space and with its channel
// axes swapped, on wasm's own (XNNPACK) Conv2D. Larger strides: dx = col2im(dy W^T), the
// adjoint of the patch matrix (./wasm-im2col.ts), with the product on wasm's matmul.
import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { shape4, type KernelArgs } from "./kernel-access.js";
import { addPatches, convGeometry, imagesPerChunk, wasmKernel } from "./wasm-im2col.js";

/**
 * The filter flipped in space with its channel axes swapped, [KH, KW, CI, CO] ->
 * [KH, KW, CO, CI], in one pass (wasm's Reverse took 1.2 ms for a 3x3x64x64 filter, about
 * 30 ns a value, and its Transpose another 0.1 ms).
 */
function flippedSwapped(wasm: BackendWasm, filter: tf.TensorInfo, [kh, kw, ci, co]: number[]): tf.TensorInfo {
  const out = wasm.makeOutput([kh, kw, co, ci], "float32");
  const src = wasm.typedArrayFromHeap(filter) as Float32Array;
  const dst = wasm.typedArrayFromHeap(out) as Float32Array;
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      const s0 = ((kh - 1 - y) * kw + (kw - 1 - x)) * ci * co;
      const d0 = (y * kw + x) * co * ci;
      for (let i = 0; i < ci; i++) {
        for (let o = 0; o < co; o++) dst[d0 + o * ci + i] = src[s0 + i * co + o];
      }
    }
  }
  return out;
}

/** Makes a Conv2DBackpropInput kernel that falls back to `original` for NCHW data. */
export function makeConv2DBackpropInputWasm(original: tf.KernelFunc | undefined): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args as unknown as KernelArgs;
    const wasm = backend as BackendWasm;
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
    if (dataFormat === "NCHW") {
      if (!original) throw new Error("Conv2DBackpropInput on wasm supports NHWC only: use dataFormat 'NHWC'");
      return original(args);
    }
    const filterShape = shape4(filter, "Conv2DBackpropInput filter");
    const info = tf.backend_util.computeConv2DInfo(inputShape, filterShape, strides, 1, pad, dimRoundingMode);
    const g = convGeometry(info);
    const [kh, kw, ci, co] = filterShape;
    // Padding of dy for the flipped convolution (stride 1 only).
    const top = kh - 1 - g.padTop;
    const left = kw - 1 - g.padLeft;
    const bottom = g.inHeight - g.outHeight + g.padTop;
    const right = g.inWidth - g.outWidth + g.padLeft;
    if (g.strideHeight === 1 && g.strideWidth === 1 && Math.min(top, left, bottom, right) >= 0) {
      const swapped = flippedSwapped(wasm, filter, filterShape); // [KH, KW, CO, CI]
      return wasmKernel(wasm, tf.Conv2D, { x: dy, filter: swapped }, {
        strides: [1, 1],
        pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
        dilations: [1, 1],
        dataFormat: "NHWC",
      }, [swapped]);
    }
    const rowLength = kh * kw * ci;
    const perImage = g.outHeight * g.outWidth;
    const w2 = wasmKernel(wasm, tf.Reshape, { x: filter }, { shape: [rowLength, co] });
    const wT = wasmKernel(wasm, tf.Transpose, { x: w2 }, { perm: [1, 0] }, [w2]); // [CO, KH*KW*CI]
    const dy2 = wasmKernel(wasm, tf.Reshape, { x: dy }, { shape: [g.batch * perImage, co] }); // [N, CO]
    const dx = wasm.makeOutput(inputShape, "float32");
    wasm.typedArrayFromHeap(dx).fill(0);
    const step = imagesPerChunk(g);
    for (let b0 = 0; b0 < g.batch; b0 += step) {
      const b1 = Math.min(g.batch, b0 + step);
      const n = (b1 - b0) * perImage;
      const whole = b0 === 0 && b1 === g.batch;
      const dyPart = whole ? dy2 : wasmKernel(wasm, tf.Slice, { x: dy2 }, { begin: [b0 * perImage, 0], size: [n, co] });
      const patches = wasmKernel(wasm, tf.BatchMatMul, { a: dyPart, b: wT }, { transposeA: false, transposeB: false },
        whole ? [] : [dyPart]); // [1, n, KH*KW*CI]
      addPatches(
        wasm.typedArrayFromHeap(dx) as Float32Array, wasm.typedArrayFromHeap(patches) as Float32Array, g, b0, b1,
      );
      wasm.disposeData(patches.dataId);
    }
    wasm.disposeData(dy2.dataId);
    wasm.disposeData(wT.dataId);
    return dx;
  };
}

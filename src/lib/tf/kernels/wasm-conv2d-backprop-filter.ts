// Conv2DBackpropFilter for wasm, which has no such kernel (so conv2d had no filter gradient).
// With the patch matrix P [N, KH*KW*CI] of x (see ./wasm-im2col.ts) and dy [N, CO],
// dW = P^T dy: one matmul per chunk of images. P is never built: ../wasm/patches.wat writes
// P^T straight into the matmul kernel's packed layout (the bytes its packA would write from
// P^T), which then runs as for any product, so the result is the same bits as P^T dy.
import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { heapOffset, shape4, wasmHeap, type KernelArgs } from "./kernel-access.js";
import { convGeometry, imagesPerChunk, wasmKernel } from "./wasm-im2col.js";
import { gemmFor, packedABytes } from "../wasm/gemm.js";
import { patchesFor } from "../wasm/patches.js";

const TRANSPOSE_A = { transposeA: true, transposeB: false };

export function conv2DBackpropFilterWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const wasm = backend as BackendWasm;
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (dataFormat === "NCHW") {
    throw new Error("Conv2DBackpropFilter on wasm supports NHWC only (as wasm's Conv2D does): use dataFormat 'NHWC'");
  }
  const g = convGeometry(
    tf.backend_util.computeConv2DInfo(shape4(x, "Conv2DBackpropFilter input x"), filterShape, strides, 1, pad, dimRoundingMode),
  );
  const [kh, kw, ci, co] = filterShape;
  const expected = [g.batch, g.outHeight, g.outWidth, co];
  if (dy.shape.length !== 4 || dy.shape.some((d, i) => d !== expected[i])) {
    throw new Error(`Conv2DBackpropFilter: dy has shape [${dy.shape}] but the convolution outputs [${expected}]`);
  }
  const perImage = g.outHeight * g.outWidth;
  const rows = g.batch * perImage;
  const rowLength = kh * kw * ci;
  const dy2 = wasmKernel(wasm, tf.Reshape, { x: dy }, { shape: [rows, co] }); // [N, CO]

  let dw: tf.TensorInfo; // [KH*KW*CI, CO]
  const pointwise = kh === 1 && kw === 1 && g.strideHeight === 1 && g.strideWidth === 1 &&
    g.padTop === 0 && g.padLeft === 0 && g.outHeight === g.inHeight && g.outWidth === g.inWidth;
  if (pointwise) {
    // The patch matrix is x itself; the matmul reads it transposed in place.
    const x2 = wasmKernel(wasm, tf.Reshape, { x }, { shape: [rows, ci] });
    dw = wasmKernel(wasm, tf.BatchMatMul, { a: x2, b: dy2 }, TRANSPOSE_A, [x2]);
  } else {
    const heap = wasmHeap(wasm);
    const [gemm, patches] = [gemmFor(heap), patchesFor(heap)];
    const step = imagesPerChunk(g);
    const imageBytes = g.inHeight * g.inWidth * ci * 4;
    let acc: tf.TensorInfo | undefined;
    for (let b0 = 0; b0 < g.batch; b0 += step) {
      const b1 = Math.min(g.batch, b0 + step);
      const n = (b1 - b0) * perImage;
      const part = wasm.makeOutput([rowLength, co], "float32");
      const ap = gemm.alloc(packedABytes({ m: rowLength, k: n }));
      try {
        patches.patchesT(heapOffset(wasm, x) + b0 * imageBytes, b1 - b0, g.inHeight, g.inWidth, ci, g.outHeight, g.outWidth,
          kh, kw, g.strideHeight, g.strideWidth, g.padTop, g.padLeft, ap);
        gemm.runPackedA(ap, { b: heapOffset(wasm, dy2) + b0 * perImage * co * 4, sbk: co, sbn: 1, c: heapOffset(wasm, part), m: rowLength, n: co, k: n });
      } finally {
        heap._free(ap);
      }
      acc = acc ? wasmKernel(wasm, tf.Add, { a: acc, b: part }, {}, [acc, part]) : part;
    }
    dw = acc!;
  }
  wasm.disposeData(dy2.dataId);
  return wasmKernel(wasm, tf.Reshape, { x: dw }, { shape: filterShape }, [dw]); // [KH, KW, CI, CO]
}

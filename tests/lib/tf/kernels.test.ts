// Regression tests for the kernel and gradient fixes of src/lib/tf/kernels: each case
// failed (missing kernel, wrong values or wrong shape) on the backend it names before
// the fix. Expected values come from float64 references or from forward ops that the
// parity suite checks.
import * as tf from "@tensorflow/tfjs-core";
import { afterEach, describe, expect, it } from "vitest";
import { kernelFixes } from "../../../src/lib/tf/kernels/index.js";
import { patchLimits } from "../../../src/lib/tf/kernels/wasm-im2col.js";
import { poolKernel } from "../../../src/lib/tf/kernels/wasm-max-pool.js";
import { PARITY_BACKENDS, read, useBackend } from "./backends.js";
import { conv2d, maxScaledError, pool, type ConvShape } from "./reference.js";
import { integers, uniform } from "./seeded.js";

const TOL = 1e-5;

/** Runs `f` and checks that it leaves no tensor and no backend buffer behind. */
async function leakFree<T>(f: () => Promise<T>): Promise<T> {
  const before = tf.memory();
  const out = await f();
  const after = tf.memory();
  expect(after.numTensors).toBe(before.numTensors);
  expect(after.numDataBuffers).toBe(before.numDataBuffers);
  return out;
}

describe("tfjs-core gradients", () => {
  it("are registered although MaskAU imports tfjs-core alone", async () => {
    await useBackend("wasm");
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor1d([1, -2, 3]));
    expect(Array.from(await read(g))).toEqual([2, -4, 6]);
    expect(kernelFixes().length).toBeGreaterThan(0);
  });
});

describe("wasm conv2d gradients (Conv2DBackpropFilter was missing, -Input slow)", () => {
  const cases: (Omit<ConvShape, "pad"> & { pad: "same" | "valid" })[] = [
    { batch: 2, height: 7, width: 9, inChannels: 3, kh: 3, kw: 3, outChannels: 4, stride: 1, pad: "same" },
    { batch: 2, height: 7, width: 9, inChannels: 3, kh: 3, kw: 3, outChannels: 4, stride: 1, pad: "valid" },
    { batch: 2, height: 7, width: 9, inChannels: 3, kh: 3, kw: 3, outChannels: 4, stride: 2, pad: "same" },
    { batch: 2, height: 7, width: 9, inChannels: 3, kh: 3, kw: 3, outChannels: 4, stride: 2, pad: "valid" },
    { batch: 1, height: 8, width: 6, inChannels: 2, kh: 2, kw: 3, outChannels: 3, stride: 3, pad: "same" },
    { batch: 3, height: 6, width: 6, inChannels: 4, kh: 1, kw: 1, outChannels: 5, stride: 1, pad: "valid" },
    { batch: 3, height: 6, width: 6, inChannels: 4, kh: 1, kw: 1, outChannels: 5, stride: 2, pad: "valid" },
    { batch: 2, height: 8, width: 8, inChannels: 3, kh: 4, kw: 4, outChannels: 6, stride: 4, pad: "valid" },
  ];
  afterEach(() => {
    patchLimits.chunkFloats = 1 << 23;
  });

  for (const [i, s] of cases.entries()) {
    it(`matches float64 for ${s.kh}x${s.kw} stride ${s.stride} ${s.pad} on [${s.batch},${s.height},${s.width},${s.inChannels}]`, async () => {
      await useBackend("wasm");
      const x = uniform(10 + i, s.batch * s.height * s.width * s.inChannels);
      const w = uniform(20 + i, s.kh * s.kw * s.inChannels * s.outChannels);
      const ref = conv2d(s, x, w, []);
      const dy = uniform(30 + i, ref.y.length);
      const { dx, dw } = conv2d(s, x, w, dy);
      // Chunks of one image exercise the chunked patch matrix path as well.
      for (const chunkFloats of [1 << 23, 1]) {
        patchLimits.chunkFloats = chunkFloats;
        const [gx, gw] = await leakFree(async () => {
          const xt = tf.tensor4d(x, [s.batch, s.height, s.width, s.inChannels]);
          const wt = tf.tensor4d(w, [s.kh, s.kw, s.inChannels, s.outChannels]);
          const dyt = tf.tensor(dy, ref.yShape);
          const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
            tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s.stride, s.pad), dyt)),
          )([xt, wt]);
          const out = [await read(grads[0]), await read(grads[1])];
          tf.dispose([xt, wt, dyt, ...grads]);
          return out;
        });
        expect(maxScaledError(gx, dx)).toBeLessThan(TOL);
        expect(maxScaledError(gw, dw)).toBeLessThan(TOL);
      }
    });
  }

  it("handles explicit asymmetric padding", async () => {
    await useBackend("wasm");
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [2, 0], [1, 3], [0, 0]];
    const x = tf.tensor4d(uniform(40, 1 * 6 * 5 * 2), [1, 6, 5, 2]);
    const w = tf.tensor4d(uniform(41, 3 * 3 * 2 * 3), [3, 3, 2, 3]);
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, [1, 2], pad)));
    const onWasm = await Promise.all(tf.grads(f)([x, w]).map(read));
    await useBackend("cpu");
    const [xc, wc] = [tf.tensor4d(await x.data(), x.shape), tf.tensor4d(await w.data(), w.shape)];
    const onCpu = await Promise.all(tf.grads(f)([xc, wc]).map(read));
    expect(maxScaledError(onWasm[0], onCpu[0])).toBeLessThan(TOL);
    expect(maxScaledError(onWasm[1], onCpu[1])).toBeLessThan(TOL);
  });
});

describe("wasm Conv2DBackpropFilter without a patch matrix", () => {
  afterEach(() => {
    patchLimits.chunkFloats = 1 << 23;
  });
  // P^T is written straight into the matmul kernel's packed layout; the product must be the
  // bits of matMul(P, dy, transposeA) with P built plainly, summed over chunks in order.
  const cases = [
    // Output widths that are multiples of 4 take the four-positions-at-a-time path, others one at a time.
    { name: "the ResNet stem's 5x5 stride 2 on 3 channels (value by value, 4 positions at a time)", x: [2, 16, 16, 3], f: [5, 5, 3, 16], stride: 2, pad: "same" as const },
    { name: "5x5 stride 2 on 3 channels, output width 5 (one position at a time)", x: [2, 12, 10, 3], f: [5, 5, 3, 16], stride: 2, pad: "same" as const },
    { name: "3x3 on 16 channels (4 channels and 4 positions at a time)", x: [3, 8, 8, 16], f: [3, 3, 16, 16], stride: 1, pad: "same" as const },
    { name: "3x3 stride 2 valid on 8 channels to 6, output width 3", x: [2, 9, 7, 8], f: [3, 3, 8, 6], stride: 2, pad: "valid" as const },
    { name: "2x1 on 5 channels, a last block of 2 rows, output width 4", x: [2, 5, 4, 5], f: [2, 1, 5, 3], stride: 1, pad: "same" as const },
    { name: "3x3 stride 2 on 4 channels, padding on both sides of a group", x: [1, 8, 7, 4], f: [3, 3, 4, 5], stride: 2, pad: [[0, 0], [1, 2], [1, 2], [0, 0]] as tf.backend_util.ExplicitPadding },
  ];
  for (const [i, c] of cases.entries()) {
    it(`gives the bits of matMul(Pᵀ, dy): ${c.name}`, async () => {
      await useBackend("wasm");
      const x = tf.tensor4d(uniform(60 + i, c.x.reduce((p, d) => p * d, 1)), c.x as [number, number, number, number]);
      const filterShape = c.f as [number, number, number, number];
      const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, c.stride, 1, c.pad);
      const dy = tf.tensor4d(uniform(70 + i, info.batchSize * info.outHeight * info.outWidth * info.outChannels),
        [info.batchSize, info.outHeight, info.outWidth, info.outChannels]);
      const rows = info.outHeight * info.outWidth;
      const R = filterShape[0] * filterShape[1] * filterShape[2];
      const patches = patchRows(await x.data() as Float32Array, info);
      const dy2 = tf.reshape(dy, [-1, info.outChannels]);
      for (const chunkFloats of [1 << 23, 1]) {
        patchLimits.chunkFloats = chunkFloats;
        const perChunk = chunkFloats === 1 ? 1 : info.batchSize;
        let expected: tf.Tensor | undefined;
        for (let b0 = 0; b0 < info.batchSize; b0 += perChunk) {
          const n = Math.min(perChunk, info.batchSize - b0) * rows;
          const p = tf.tensor2d(patches.subarray(b0 * rows * R, (b0 * rows + n) * R), [n, R]);
          const part = tf.matMul(p, tf.slice(dy2, [b0 * rows, 0], [n, -1]), true, false);
          expected = expected ? tf.add(expected, part) : part;
        }
        const dw = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy },
          { strides: [c.stride, c.stride], pad: c.pad, dataFormat: "NHWC", filterShape } as unknown as tf.NamedAttrMap) as tf.Tensor;
        expect(dw.shape).toEqual(filterShape);
        const got = await dw.data();
        expect(got).toEqual(await expected!.data());
        expect(got.some((v) => v !== 0)).toBe(true);
      }
    });
  }
});

describe("wasm Conv2DBackpropInput at stride 1", () => {
  it("gives the bits of conv2d(dy, the filter reversed in space with its channel axes swapped)", async () => {
    await useBackend("wasm");
    for (const [i, [shape, f]] of ([[[2, 4, 4, 8], [3, 3, 6, 8]], [[1, 5, 7, 3], [2, 3, 5, 3]]] as [number[], number[]][]).entries()) {
      const filterShape = [...f] as [number, number, number, number];
      const inputShape = [shape[0], shape[1], shape[2], f[2]] as [number, number, number, number];
      const info = tf.backend_util.computeConv2DInfo(inputShape, filterShape, 1, 1, "same");
      const dy = tf.tensor4d(uniform(110 + i, shape.reduce((p, d) => p * d, 1)), [...shape] as [number, number, number, number]);
      const w = tf.tensor4d(uniform(120 + i, filterShape.reduce((p, d) => p * d, 1)), filterShape);
      const dx = tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: w },
        { strides: [1, 1], pad: "same", dataFormat: "NHWC", inputShape } as unknown as tf.NamedAttrMap) as tf.Tensor;
      const [top, left] = [f[0] - 1 - info.padInfo.top, f[1] - 1 - info.padInfo.left];
      const [bottom, right] = [info.inHeight - info.outHeight + info.padInfo.top, info.inWidth - info.outWidth + info.padInfo.left];
      const swapped = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
      const expected = tf.conv2d(dy, swapped, 1, [[0, 0], [top, bottom], [left, right], [0, 0]]);
      expect(dx.shape).toEqual(inputShape);
      expect(await dx.data()).toEqual(await expected.data());
      tf.dispose([dy, w, dx, swapped, expected]);
    }
  });
});

/** The patch matrix [B*OH*OW, KH*KW*CI] of x (zeros in the padding), built the plain way. */
function patchRows(x: Float32Array, g: tf.backend_util.Conv2DInfo): Float32Array {
  const [H, W, C] = [g.inHeight, g.inWidth, g.inChannels];
  const R = g.filterHeight * g.filterWidth * C;
  const out = new Float32Array(g.batchSize * g.outHeight * g.outWidth * R);
  let row = 0;
  for (let b = 0; b < g.batchSize; b++)
    for (let oh = 0; oh < g.outHeight; oh++)
      for (let ow = 0; ow < g.outWidth; ow++, row++)
        for (let kh = 0; kh < g.filterHeight; kh++)
          for (let kw = 0; kw < g.filterWidth; kw++) {
            const y = oh * g.strideHeight + kh - g.padInfo.top;
            const xx = ow * g.strideWidth + kw - g.padInfo.left;
            if (y < 0 || y >= H || xx < 0 || xx >= W) continue;
            for (let ci = 0; ci < C; ci++) out[row * R + (kh * g.filterWidth + kw) * C + ci] = x[((b * H + y) * W + xx) * C + ci];
          }
  return out;
}

describe("wasm depthwise conv2d gradients (both kernels were missing)", () => {
  it("match a float64 reference, channel multiplier 2, stride 2, same padding", async () => {
    await useBackend("wasm");
    const [B, H, W, C, M, K, S] = [2, 5, 6, 3, 2, 3, 2];
    const x = uniform(50, B * H * W * C);
    const w = uniform(51, K * K * C * M);
    // A depthwise convolution is a grouped one: output channel c*M+m reads input channel c only.
    const dense = new Float32Array(K * K * C * C * M);
    for (let t = 0; t < K * K; t++)
      for (let c = 0; c < C; c++)
        for (let m = 0; m < M; m++) dense[(t * C + c) * C * M + c * M + m] = w[(t * C + c) * M + m];
    const shape: ConvShape = { batch: B, height: H, width: W, inChannels: C, kh: K, kw: K, outChannels: C * M, stride: S, pad: "same" };
    const yLen = conv2d(shape, x, dense, []).y.length;
    const dy = uniform(52, yLen);
    const ref = conv2d(shape, x, dense, dy);
    const refDw = new Float64Array(w.length);
    for (let t = 0; t < K * K; t++)
      for (let c = 0; c < C; c++)
        for (let m = 0; m < M; m++) refDw[(t * C + c) * M + m] = ref.dw[(t * C + c) * C * M + c * M + m];
    const [gx, gw] = await leakFree(async () => {
      const xt = tf.tensor4d(x, [B, H, W, C]);
      const wt = tf.tensor4d(w, [K, K, C, M]);
      const dyt = tf.tensor(dy, ref.yShape);
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, S, "same"), dyt)),
      )([xt, wt]);
      const out = [await read(grads[0]), await read(grads[1])];
      tf.dispose([xt, wt, dyt, ...grads]);
      return out;
    });
    expect(maxScaledError(gx, ref.dx)).toBeLessThan(TOL);
    expect(maxScaledError(gw, refDw)).toBeLessThan(TOL);
  });
});

describe("wasm UnsortedSegmentSum (missing, so gather had no gradient)", () => {
  it("sums rows per segment and drops ids outside [0, numSegments)", async () => {
    await useBackend("wasm");
    const x = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]);
    const ids = tf.tensor1d([2, 0, 2, 5], "int32");
    const out = tf.unsortedSegmentSum(x, ids, 3);
    expect(out.shape).toEqual([3, 2]);
    expect(Array.from(await read(out))).toEqual([3, 4, 0, 0, 6, 8]);
    const ints = tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3], "int32"), tf.tensor1d([1, 1, 0], "int32"), 2);
    expect(ints.dtype).toBe("int32");
    expect(Array.from(await read(ints))).toEqual([3, 3]);
    tf.dispose([x, ids, out, ints]);
  });

  it("gives gather a gradient that adds repeated rows", async () => {
    await useBackend("wasm");
    const table = tf.tensor2d(uniform(60, 5 * 3), [5, 3]);
    const idx = tf.tensor1d(integers(61, 7, 5), "int32");
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.gather(t, idx)))(table);
    const counts = new Float64Array(5);
    for (const i of await idx.data()) counts[i] += 1;
    expect(Array.from(await read(g))).toEqual(Array.from(counts).flatMap((c) => [c, c, c]));
    tf.dispose([table, idx, g]);
  });
});

describe("wasm OneHot (float32 output held 1.4e-45)", () => {
  it("writes the on and off values in float32 and int32", async () => {
    await useBackend("wasm");
    const idx = tf.tensor1d([0, 2, 1, 3], "int32");
    const f = tf.oneHot(idx, 3, 5, -1, "float32");
    expect(f.dtype).toBe("float32");
    expect(Array.from(await read(f))).toEqual([5, -1, -1, -1, -1, 5, -1, 5, -1, -1, -1, -1]);
    const i = tf.oneHot(idx, 3);
    expect(i.dtype).toBe("int32");
    expect(Array.from(await read(i))).toEqual([1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0]);
    tf.dispose([idx, f, i]);
  });
});

describe("wasm MaxPoolGrad and MaxPoolWithArgmax (wrong for windows of negative values)", () => {
  afterEach(() => {
    poolKernel.simd = true;
  });
  // 3 channels run the scalar loop, 8 the SIMD kernel (4 at a time).
  for (const [size, stride, pad, channels] of [[2, 2, "valid", 3], [3, 2, "same", 3], [3, 1, "same", 3], [2, 2, "valid", 8], [3, 2, "same", 8], [3, 1, "same", 8]] as const) {
    it(`matches float64 for ${size}x${size} stride ${stride} ${pad} on all-negative input, ${channels} channels`, async () => {
      await useBackend("wasm");
      const s = { batch: 2, height: 5, width: 6, channels, size, stride, pad };
      const x = uniform(70 + size + stride, s.batch * s.height * s.width * s.channels, -5, -0.01);
      const yLen = pool("max", s, x, []).y.length;
      const dy = uniform(80 + size, yLen);
      const ref = pool("max", s, x, dy);
      const g = await leakFree(async () => {
        const xt = tf.tensor4d(x, [s.batch, s.height, s.width, s.channels]);
        const dyt = tf.tensor1d(dy);
        const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.reshape(tf.maxPool(t as tf.Tensor4D, size, stride, pad), [-1]), dyt)))(xt);
        const out = await read(grad);
        tf.dispose([xt, dyt, grad]);
        return out;
      });
      expect(maxScaledError(g, ref.dx)).toBeLessThan(TOL);
      const perImage = s.height * s.width * s.channels;
      for (const includeBatchInIndex of [true, false]) {
        const xt = tf.tensor4d(x, [s.batch, s.height, s.width, s.channels]);
        const { result, indexes } = tf.maxPoolWithArgmax(xt, size, stride, pad, includeBatchInIndex);
        expect(maxScaledError(await read(result), ref.y)).toBeLessThan(TOL);
        const want = Array.from(ref.argmax, (i) => (includeBatchInIndex ? i : i % perImage));
        expect(Array.from(await read(indexes))).toEqual(want);
        tf.dispose([xt, result, indexes]);
      }
    });
  }
});

describe("wasm MaxPoolGrad, 4 channels at a time", () => {
  afterEach(() => {
    poolKernel.simd = true;
  });
  it("gives the scalar loop's bits: ties go to the first maximum, padding, the ResNet stem's 3x3 stride 2", async () => {
    await useBackend("wasm");
    const cases = [
      { shape: [2, 9, 7, 16], size: 3, stride: 2, pad: 1 as const },
      { shape: [1, 8, 8, 4], size: 2, stride: 2, pad: "valid" as const },
      { shape: [3, 5, 6, 12], size: 3, stride: 1, pad: "same" as const },
    ];
    for (const [i, c] of cases.entries()) {
      const n = c.shape.reduce((p, d) => p * d, 1);
      // Values on a coarse grid, so windows hold equal maxima.
      const x = tf.tensor4d(uniform(90 + i, n, -3, 3).map((v) => Math.round(v * 2) / 2), c.shape as [number, number, number, number]);
      const y = tf.maxPool(x, c.size, c.stride, c.pad);
      const dy = tf.tensor(uniform(95 + i, y.size), y.shape);
      const f = (t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, c.size, c.stride, c.pad), dy));
      const grads: Float64Array[] = [];
      for (const simd of [true, false]) {
        poolKernel.simd = simd;
        const g = tf.grad(f)(x);
        grads.push(await read(g));
        g.dispose();
      }
      expect(grads[0], `case ${i}`).toEqual(grads[1]);
      expect(grads[0].filter((v) => v !== 0).length).toBeGreaterThan(y.size / c.shape[3]);
      tf.dispose([x, y, dy]);
    }
  });
});

/** Flat positions of the elements picked by one index list per axis (row-major over the lists). */
function picked(shape: number[], perAxis: number[][]): number[] {
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((p, d) => p * d, 1));
  let out = [0];
  perAxis.forEach((idx, axis) => (out = out.flatMap((base) => idx.map((i) => base + i * strides[axis]))));
  return out;
}

describe.each(PARITY_BACKENDS)("stridedSlice and resizeBilinear fixes on %s", (backend) => {
  type SliceArgs = [number[], number[], number[], number?, number?, number?, number?, number?];
  const slices: { name: string; shape: number[]; args: SliceArgs; outShape: number[]; perAxis: number[][] }[] = [
    // x[0::2, 1:4]
    { name: "stride 2 with an end mask", shape: [5, 4], args: [[0, 1], [0, 4], [2, 1], 0, 1], outShape: [3, 3], perAxis: [[0, 2, 4], [1, 2, 3]] },
    // x[5:0:-2, :]
    { name: "negative stride", shape: [6, 3], args: [[5, 0], [0, 3], [-2, 1]], outShape: [3, 3], perAxis: [[5, 3, 1], [0, 1, 2]] },
    // x[1, ::3, :] (every backend read x[1, 0], x[1, 2] before the fix)
    { name: "shrink axis before a strided one", shape: [3, 4, 2], args: [[1, 0, 0], [2, 4, 2], [1, 3, 1], 0, 0, 0, 0, 1], outShape: [2, 2], perAxis: [[1], [0, 3], [0, 1]] },
    // x[::2, -1]
    { name: "shrink axis at -1", shape: [3, 4], args: [[0, -1], [3, 0], [2, 1], 0, 0, 0, 0, 2], outShape: [2], perAxis: [[0, 2], [3]] },
    // x[None, ..., 1::2]
    { name: "new axis and ellipsis", shape: [2, 3, 4], args: [[0, 0, 1], [0, 0, 4], [1, 1, 2], 0, 0, 2, 1], outShape: [1, 2, 3, 2], perAxis: [[0, 1], [0, 1, 2], [1, 3]] },
  ];
  for (const c of slices) {
    it(`stridedSlice reads the right elements and has a gradient (${c.name})`, async () => {
      await useBackend(backend);
      const size = c.shape.reduce((p, d) => p * d, 1);
      const positions = picked(c.shape, c.perAxis);
      const x = tf.tensor(uniform(91, size), c.shape);
      const xv = await read(x);
      const y = tf.stridedSlice(x, ...c.args);
      expect(y.shape).toEqual(c.outShape);
      expect(Array.from(await read(y))).toEqual(positions.map((p) => xv[p]));
      const dyv = uniform(90, positions.length);
      const dy = tf.tensor(dyv, c.outShape);
      const expected = new Float64Array(size);
      positions.forEach((p, i) => (expected[p] += dyv[i]));
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.stridedSlice(t, ...c.args), dy)))(x);
      expect(g.shape).toEqual(c.shape);
      expect(maxScaledError(await read(g), expected)).toBeLessThan(TOL);
      tf.dispose([x, y, dy, g]);
    });
  }

  for (const [alignCorners, halfPixelCenters] of [[false, false], [false, true], [true, false]] as const) {
    it(`resizeBilinear gradient is right for non-square images (alignCorners ${alignCorners}, halfPixelCenters ${halfPixelCenters})`, async () => {
      await useBackend(backend);
      const [H, W, C] = [3, 5, 2];
      for (const [OH, OW] of [[7, 4], [2, 3]]) {
        const dy = tf.tensor4d(uniform(100 + OH, 2 * OH * OW * C), [2, OH, OW, C]);
        // The resize is linear, so the gradient at pixel p is sum(resize(e_p) * dy): resize
        // each basis image e_p (one batch entry per pixel) with the forward op.
        const basis = tf.reshape(tf.oneHot(tf.range(0, H * W, 1, "int32"), H * W, 1, 0, "float32"), [H * W, H, W, 1]);
        const resized = tf.reshape(tf.image.resizeBilinear(basis as tf.Tensor4D, [OH, OW], alignCorners, halfPixelCenters), [H * W, OH * OW]);
        const dyByPixel = tf.reshape(tf.transpose(dy, [1, 2, 0, 3]), [OH * OW, 2 * C]);
        const expected = tf.reshape(tf.transpose(tf.reshape(tf.matMul(resized, dyByPixel), [H, W, 2, C]), [2, 0, 1, 3]), [-1]);
        const x = tf.tensor4d(uniform(110, 2 * H * W * C), [2, H, W, C]);
        const g = tf.grad((t: tf.Tensor) =>
          tf.sum(tf.mul(tf.image.resizeBilinear(t as tf.Tensor4D, [OH, OW], alignCorners, halfPixelCenters), dy)),
        )(x);
        expect(g.shape).toEqual([2, H, W, C]);
        expect(maxScaledError(await read(g), await read(expected))).toBeLessThan(TOL);
        tf.dispose([dy, basis, resized, dyByPixel, expected, x, g]);
      }
    });
  }
});

// BatchMatMul fixes: the wasm kernel (batched products, transpose flags and broadcasting on
// MaskAU's own SIMD kernel, ../../../src/lib/tf/kernels/wasm-batch-matmul.ts) and the gradient that
// sums over broadcast batch dimensions (batch-matmul-grad.ts). Values are checked against
// float64 references written from the definition, on wasm and cpu.
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { read, useBackend } from "./backends.js";
import { maxScaledError } from "./reference.js";
import { uniform } from "./seeded.js";

const TOL = 1e-5;

interface Case {
  /** Logical shapes: a [...batchA, m, k], b [...batchB, k, n] (before any transpose flag). */
  batchA: number[];
  batchB: number[];
  m: number;
  k: number;
  n: number;
  transposeA?: boolean;
  transposeB?: boolean;
  /** cpu's own kernel gives wrong values when both operands broadcast: checked on wasm only. */
  wasmOnly?: boolean;
}

const size = (s: number[]) => s.reduce((p, d) => p * d, 1);

/** Batch index of an operand for output batch `t` (numpy broadcasting, right-aligned). */
function operandIndex(batch: number[], outBatch: number[], t: number): number {
  const padded = [...new Array<number>(outBatch.length - batch.length).fill(1), ...batch];
  let rest = t;
  let index = 0;
  let stride = 1;
  for (let d = outBatch.length - 1; d >= 0; d--) {
    const coord = rest % outBatch[d];
    rest = Math.floor(rest / outBatch[d]);
    if (padded[d] !== 1) index += coord * stride;
    stride *= padded[d];
  }
  return index;
}

function broadcastBatch(x: number[], y: number[]): number[] {
  const r = Math.max(x.length, y.length);
  const px = [...new Array<number>(r - x.length).fill(1), ...x];
  const py = [...new Array<number>(r - y.length).fill(1), ...y];
  return px.map((d, i) => Math.max(d, py[i]));
}

/** The matrix (m x k, row-major) stored transposed (k x m) for each batch entry. */
function transposeMatrices(x: Float32Array, count: number, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let t = 0; t < count; t++) {
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[t * rows * cols + j * rows + i] = x[t * rows * cols + i * cols + j];
  }
  return out;
}

/** y = A B and, for the loss sum(w * y), dA and dB, all in float64 on the logical operands. */
function reference(c: Case, a: Float32Array, b: Float32Array, w: Float32Array) {
  const outBatch = broadcastBatch(c.batchA, c.batchB);
  const { m, k, n } = c;
  const y = new Float64Array(size(outBatch) * m * n);
  const da = new Float64Array(a.length);
  const db = new Float64Array(b.length);
  for (let t = 0; t < size(outBatch); t++) {
    const ai = operandIndex(c.batchA, outBatch, t) * m * k;
    const bi = operandIndex(c.batchB, outBatch, t) * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        const wv = w[(t * m + i) * n + j];
        for (let p = 0; p < k; p++) {
          s += a[ai + i * k + p] * b[bi + p * n + j];
          da[ai + i * k + p] += wv * b[bi + p * n + j];
          db[bi + p * n + j] += wv * a[ai + i * k + p];
        }
        y[(t * m + i) * n + j] = s;
      }
    }
  }
  return { y, da, db, outShape: [...outBatch, m, n] };
}

const CASES: Case[] = [
  { batchA: [], batchB: [], m: 5, k: 4, n: 6 },
  { batchA: [], batchB: [], m: 5, k: 4, n: 6, transposeA: true },
  { batchA: [], batchB: [], m: 5, k: 4, n: 6, transposeB: true },
  { batchA: [], batchB: [], m: 5, k: 4, n: 6, transposeA: true, transposeB: true },
  { batchA: [1], batchB: [1], m: 7, k: 3, n: 2 },
  { batchA: [3], batchB: [3], m: 5, k: 4, n: 6 },
  { batchA: [3], batchB: [3], m: 5, k: 4, n: 6, transposeA: true },
  { batchA: [3], batchB: [3], m: 5, k: 4, n: 6, transposeB: true },
  { batchA: [3], batchB: [3], m: 5, k: 4, n: 6, transposeA: true, transposeB: true },
  { batchA: [12], batchB: [12], m: 17, k: 8, n: 17 }, // attention-like: many small products
  { batchA: [2, 3], batchB: [2, 3], m: 4, k: 5, n: 3 },
  { batchA: [2, 3], batchB: [], m: 5, k: 4, n: 6 }, // b broadcast: one stacked product
  { batchA: [2, 3], batchB: [1], m: 5, k: 4, n: 6, transposeB: true },
  { batchA: [], batchB: [2, 3], m: 5, k: 4, n: 6 }, // a broadcast
  { batchA: [2, 1], batchB: [1, 3], m: 3, k: 4, n: 2, wasmOnly: true }, // both broadcast
  { batchA: [2, 1], batchB: [3], m: 3, k: 4, n: 2, transposeA: true, wasmOnly: true },
  { batchA: [4], batchB: [4], m: 1, k: 9, n: 1 },
  // sizes off the kernel's 4-row blocks and 8-column panels, longer inner dimensions
  { batchA: [], batchB: [], m: 13, k: 37, n: 19 },
  { batchA: [], batchB: [], m: 13, k: 37, n: 19, transposeA: true, transposeB: true },
  { batchA: [3], batchB: [3], m: 9, k: 70, n: 11, transposeA: true },
  { batchA: [2], batchB: [], m: 6, k: 33, n: 9, transposeB: true },
];

function label(c: Case): string {
  const flags = [c.transposeA ? "transposeA" : "", c.transposeB ? "transposeB" : ""].filter(Boolean).join(" ");
  return `[${[...c.batchA, c.m, c.k]}] x [${[...c.batchB, c.k, c.n]}]${flags ? " " + flags : ""}`;
}

describe.each(["wasm", "cpu"] as const)("BatchMatMul and its gradient on %s", (backend) => {
  for (const [i, c] of CASES.entries()) {
    if (c.wasmOnly && backend !== "wasm") continue;
    it(`matches float64 for ${label(c)}`, async () => {
      await useBackend(backend);
      const countA = size(c.batchA);
      const countB = size(c.batchB);
      const a = uniform(100 + i, countA * c.m * c.k);
      const b = uniform(200 + i, countB * c.k * c.n);
      const ref = reference(c, a, b, uniform(300 + i, size(broadcastBatch(c.batchA, c.batchB)) * c.m * c.n));
      const w = uniform(300 + i, ref.y.length);
      // Physical operands: stored transposed where the flag says so.
      const aShape = c.transposeA ? [...c.batchA, c.k, c.m] : [...c.batchA, c.m, c.k];
      const bShape = c.transposeB ? [...c.batchB, c.n, c.k] : [...c.batchB, c.k, c.n];
      const aData = c.transposeA ? transposeMatrices(a, countA, c.m, c.k) : a;
      const bData = c.transposeB ? transposeMatrices(b, countB, c.k, c.n) : b;
      const before = tf.memory();
      const [y, da, db] = tf.tidy(() => {
        const at = tf.tensor(aData, aShape);
        const bt = tf.tensor(bData, bShape);
        const wt = tf.tensor(w, ref.outShape);
        const f = (x: tf.Tensor, z: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, z, c.transposeA, c.transposeB), wt));
        const [ga, gb] = tf.grads(f)([at, bt]);
        return [tf.matMul(at, bt, c.transposeA, c.transposeB), ga, gb];
      });
      expect(y.shape).toEqual(ref.outShape);
      expect(da.shape).toEqual(aShape);
      expect(db.shape).toEqual(bShape);
      expect(maxScaledError(await read(y), ref.y)).toBeLessThan(TOL);
      const daLogical = c.transposeA ? transposeMatrices(Float32Array.from(await read(da)), countA, c.k, c.m) : await read(da);
      const dbLogical = c.transposeB ? transposeMatrices(Float32Array.from(await read(db)), countB, c.n, c.k) : await read(db);
      expect(maxScaledError(daLogical, ref.da)).toBeLessThan(TOL);
      expect(maxScaledError(dbLogical, ref.db)).toBeLessThan(TOL);
      tf.dispose([y, da, db]);
      const after = tf.memory();
      expect(after.numTensors).toBe(before.numTensors);
      expect(after.numDataBuffers).toBe(before.numDataBuffers);
    });
  }
});

describe("wasm BatchMatMul on large batches", () => {
  it("matches the cpu backend for attention-sized products and leaves no buffers", async () => {
    const q = uniform(1, 128 * 17 * 64);
    const k = uniform(2, 128 * 64 * 17);
    const results: Float64Array[] = [];
    for (const backend of ["cpu", "wasm"] as const) {
      await useBackend(backend);
      const before = tf.memory();
      const y = tf.tidy(() => tf.matMul(tf.tensor3d(q, [128, 17, 64]), tf.tensor3d(k, [128, 64, 17])));
      results.push(await read(y));
      y.dispose();
      expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
    }
    expect(maxScaledError(results[1], results[0])).toBeLessThan(TOL);
  });
});

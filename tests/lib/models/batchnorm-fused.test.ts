// Train-mode BatchNorm over channels last runs as one fused kernel each way on wasm
// (MaskauBatchNorm, MaskauBatchNormGrad; lib/tf/ops.ts fusedBatchNormTrain). It must give
// what the op-by-op computation gives on cpu, and both what float64 gives: the output, the
// new running statistics and the gradients of a weighted sum with respect to x, gamma, beta.
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { batchNormCore, type BatchNormTensors } from "../../../src/lib/models/batchnorm.js";
import { useBackend, type ParityBackend } from "../tf/backends.js";
import { uniform } from "../tf/seeded.js";

interface Outcome {
  y: Float32Array;
  runningMean: Float32Array;
  runningVar: Float32Array;
  dx: Float32Array;
  dgamma: Float32Array;
  dbeta: Float32Array;
  kernels: string[];
}

async function run(backend: ParityBackend, shape: number[], seed: number): Promise<Outcome> {
  await useBackend(backend);
  const c = shape[shape.length - 1];
  const size = shape.reduce((a, b) => a * b, 1);
  const x = tf.tensor(uniform(seed, size, -2, 3), shape);
  const w = tf.tensor(uniform(seed + 1, size), shape);
  const p: BatchNormTensors = {
    weight: tf.tensor1d(uniform(seed + 2, c, 0.5, 1.5)),
    bias: tf.tensor1d(uniform(seed + 3, c)),
    runningMean: tf.tensor1d(uniform(seed + 4, c)),
    runningVar: tf.tensor1d(uniform(seed + 5, c, 0.5, 2)),
  };
  let stats: { runningMean?: tf.Tensor1D; runningVar?: tf.Tensor1D } = {};
  let yOut: tf.Tensor | undefined;
  const kernels: string[] = [];
  const profile = await tf.profile(() => {
    const g = tf.grads((xs: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
      const r = batchNormCore(xs, shape.length - 1, { ...p, weight: gamma as tf.Tensor1D, bias: beta as tf.Tensor1D }, { training: true, wantStats: true });
      stats = { runningMean: tf.keep(r.runningMean!), runningVar: tf.keep(r.runningVar!) };
      yOut = tf.keep(r.y);
      return tf.sum(tf.mul(r.y, w));
    })([x, p.weight, p.bias]);
    return g;
  });
  for (const k of profile.kernels) kernels.push(k.name);
  const [dx, dgamma, dbeta] = profile.result as tf.Tensor[];
  const out: Outcome = {
    y: (await yOut!.data()) as Float32Array,
    runningMean: (await stats.runningMean!.data()) as Float32Array,
    runningVar: (await stats.runningVar!.data()) as Float32Array,
    dx: (await dx.data()) as Float32Array,
    dgamma: (await dgamma.data()) as Float32Array,
    dbeta: (await dbeta.data()) as Float32Array,
    kernels,
  };
  tf.dispose([x, w, p.weight, p.bias, p.runningMean, p.runningVar, yOut!, stats.runningMean!, stats.runningVar!, dx, dgamma, dbeta]);
  return out;
}

/** Float64 reference of the same computation (torch's train-mode BatchNorm and its gradient). */
function reference(shape: number[], seed: number) {
  const c = shape[shape.length - 1];
  const size = shape.reduce((a, b) => a * b, 1);
  const rows = size / c;
  const x = uniform(seed, size, -2, 3);
  const w = uniform(seed + 1, size);
  const gamma = uniform(seed + 2, c, 0.5, 1.5);
  const beta = uniform(seed + 3, c);
  const rm0 = uniform(seed + 4, c);
  const rv0 = uniform(seed + 5, c, 0.5, 2);
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let i = 0; i < size; i++) mean[i % c] += x[i] / rows;
  for (let i = 0; i < size; i++) variance[i % c] += (x[i] - mean[i % c]) ** 2 / rows;
  const rstd = variance.map((v) => 1 / Math.sqrt(v + 1e-5));
  const y = new Float64Array(size);
  const dgamma = new Float64Array(c);
  const dbeta = new Float64Array(c);
  for (let i = 0; i < size; i++) {
    const j = i % c;
    const xh = (x[i] - mean[j]) * rstd[j];
    y[i] = xh * gamma[j] + beta[j];
    dgamma[j] += w[i] * xh;
    dbeta[j] += w[i];
  }
  const dx = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const j = i % c;
    const xh = (x[i] - mean[j]) * rstd[j];
    dx[i] = gamma[j] * rstd[j] * (w[i] - dbeta[j] / rows - (xh * dgamma[j]) / rows);
  }
  const runningMean = rm0.map((m, j) => 0.9 * m + 0.1 * mean[j]);
  const runningVar = rv0.map((v, j) => 0.9 * v + 0.1 * variance[j] * (rows / (rows - 1)));
  return { y, dx, dgamma, dbeta, runningMean, runningVar };
}

function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1e-3;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst / scale;
}

describe("fused train-mode BatchNorm (channels last)", () => {
  for (const [shape, seed] of [[[4, 5, 6, 8], 1], [[3, 7, 12], 2], [[32, 16, 16, 16], 3]] as const) {
    it(`on wasm equals float64 and cpu's op-by-op result for [${shape}]`, async () => {
      const wasm = await run("wasm", [...shape], seed);
      const cpu = await run("cpu", [...shape], seed);
      expect(wasm.kernels).toContain("MaskauBatchNorm");
      expect(wasm.kernels).toContain("MaskauBatchNormGrad");
      expect(cpu.kernels).not.toContain("MaskauBatchNorm");
      const ref = reference([...shape], seed);
      for (const key of ["y", "runningMean", "runningVar", "dx", "dgamma", "dbeta"] as const) {
        expect(maxRelErr(wasm[key], ref[key]), `wasm ${key}`).toBeLessThan(1e-5);
        expect(maxRelErr(cpu[key], ref[key]), `cpu ${key}`).toBeLessThan(1e-5);
      }
    });
  }

  it("takes the op-by-op path when the channel count is not a multiple of 4", async () => {
    const wasm = await run("wasm", [4, 5, 6], 4);
    expect(wasm.kernels).not.toContain("MaskauBatchNorm");
    const ref = reference([4, 5, 6], 4);
    expect(maxRelErr(wasm.dx, ref.dx)).toBeLessThan(1e-5);
  });
});

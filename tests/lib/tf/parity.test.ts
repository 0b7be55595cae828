// Backend parity: forward results and gradients of the operations MaskAU's models are
// built from, on cpu, wasm and webgpu (Dawn + SwiftShader in Node). Every backend is held
// to a float64 reference and to the cpu backend within 1e-4 (|a - b| / (1 + |b|)).
// A backend that cannot start fails its tests (a missing WebGPU adapter is a failure,
// never a skip). Sizes are small: SwiftShader is 40-100x slower than wasm.
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, describe, expect, it } from "vitest";
import { gelu, layerNorm } from "../../../src/lib/tf/ops.js";
import { AdamW } from "../../../src/lib/train/adamw.js";
import { adamwReference } from "../train/adamw-reference.js";
import { PARITY_BACKENDS, read, useBackend, type ParityBackend } from "./backends.js";
import * as ref from "./reference.js";
import { distinct, integers, uniform } from "./seeded.js";

const TOLERANCE = 1e-4;

type Outputs = Record<string, ArrayLike<number>>;

interface ParityCase {
  name: string;
  /** Runs on the active backend and reads every output back. */
  run(): Promise<Outputs>;
  /** Float64 reference for the same outputs. */
  reference(): Outputs;
}

const shapeSize = (shape: number[]) => shape.reduce((p, d) => p * d, 1);

/** Values of f(...inputs) and the gradients of sum(f(...inputs) * dy) with respect to each input. */
async function valueAndGrads(
  f: (...inputs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  dy: Float32Array,
): Promise<[Float64Array, Float64Array[]]> {
  const y = f(...inputs);
  const dyT = tf.tensor(dy, y.shape);
  const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), dyT)))(inputs);
  const out: [Float64Array, Float64Array[]] = [await read(y), await Promise.all(grads.map(read))];
  tf.dispose([y, dyT, ...grads]);
  return out;
}

/** [batch, r, c] -> [batch, c, r] */
function transpose3(x: ArrayLike<number>, batch: number, r: number, c: number): Float64Array {
  const out = new Float64Array(batch * r * c);
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[b * r * c + j * r + i] = x[b * r * c + i * c + j];
  return out;
}

function matmulCase(batch: number | undefined, m: number, k: number, n: number, transposeA: boolean, transposeB: boolean, seed: number): ParityCase {
  const bs = batch ?? 1;
  const lead = batch === undefined ? [] : [batch];
  const aShape = [...lead, ...(transposeA ? [k, m] : [m, k])];
  const bShape = [...lead, ...(transposeB ? [n, k] : [k, n])];
  const a = uniform(seed, shapeSize(aShape));
  const b = uniform(seed + 1, shapeSize(bShape));
  const dy = uniform(seed + 2, bs * m * n);
  return {
    name: `matmul ${aShape.join("x")} @ ${bShape.join("x")}${transposeA ? " transposeA" : ""}${transposeB ? " transposeB" : ""}`,
    async run() {
      const [at, bt] = [tf.tensor(a, aShape), tf.tensor(b, bShape)];
      const [y, [da, db]] = await valueAndGrads((x, w) => tf.matMul(x, w, transposeA, transposeB), [at, bt], dy);
      tf.dispose([at, bt]);
      return { y, da, db };
    },
    reference() {
      const opA = transposeA ? transpose3(a, bs, k, m) : Float64Array.from(a); // [bs, m, k]
      const opB = transposeB ? transpose3(b, bs, n, k) : Float64Array.from(b); // [bs, k, n]
      const y = ref.matmul(opA, opB, bs, m, k, n);
      const dOpA = ref.matmul(dy, opB, bs, m, n, k, false, true); // dy op(B)^T: [bs, m, k]
      const dOpB = ref.matmul(opA, dy, bs, k, m, n, true, false); // op(A)^T dy: [bs, k, n]
      return {
        y,
        da: transposeA ? transpose3(dOpA, bs, m, k) : dOpA,
        db: transposeB ? transpose3(dOpB, bs, k, n) : dOpB,
      };
    },
  };
}

function convCase(stride: number, pad: ref.Padding, seed: number): ParityCase {
  const s: ref.ConvShape = { batch: 2, height: 6, width: 7, inChannels: 3, kh: 3, kw: 3, outChannels: 4, stride, pad };
  const xShape = [s.batch, s.height, s.width, s.inChannels];
  const wShape = [s.kh, s.kw, s.inChannels, s.outChannels];
  const x = uniform(seed, shapeSize(xShape));
  const w = uniform(seed + 1, shapeSize(wShape));
  const dy = uniform(seed + 2, shapeSize(ref.convOutShape(s)));
  return {
    name: `conv2d 3x3 stride ${stride} ${pad}`,
    async run() {
      const [xt, wt] = [tf.tensor4d(x, xShape as never), tf.tensor4d(w, wShape as never)];
      const [y, [dx, dw]] = await valueAndGrads((a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad), [xt, wt], dy);
      tf.dispose([xt, wt]);
      return { y, dx, dw };
    },
    reference() {
      const r = ref.conv2d(s, x, w, dy);
      return { y: r.y, dx: r.dx, dw: r.dw };
    },
  };
}

function poolCase(kind: "max" | "avg", size: number, stride: number, pad: ref.Padding, negative: boolean, seed: number): ParityCase {
  const s: ref.PoolShape = { batch: 2, height: 6, width: 7, channels: 3, size, stride, pad };
  const shape = [s.batch, s.height, s.width, s.channels];
  // Distinct values, so every window has a single maximum; all negative where asked.
  const x = negative ? distinct(seed, shapeSize(shape), -4, -0.01) : distinct(seed, shapeSize(shape), -2, 2);
  const dy = uniform(seed + 1, ref.pool(kind, s, x, []).y.length);
  return {
    name: `${kind}Pool ${size}x${size} stride ${stride} ${pad}${negative ? " (all-negative windows)" : ""}`,
    async run() {
      const xt = tf.tensor4d(x, shape as never);
      const op = kind === "max" ? tf.maxPool : tf.avgPool;
      const [y, [dx]] = await valueAndGrads((a) => op(a as tf.Tensor4D, size, stride, pad), [xt], dy);
      xt.dispose();
      return { y, dx };
    },
    reference() {
      const r = ref.pool(kind, s, x, dy);
      return { y: r.y, dx: r.dx };
    },
  };
}

function adamwCase(): ParityCase {
  const shapes: Record<string, number[]> = { w: [4, 3], b: [3] };
  const initial = Object.fromEntries(Object.entries(shapes).map(([n, sh], i) => [n, uniform(400 + i, shapeSize(sh))]));
  const lrs = [0.01, 0.03, 0.02, 0.005];
  const grads = lrs.map((_, t) => Object.fromEntries(Object.entries(shapes).map(([n, sh], i) => [n, uniform(500 + 10 * t + i, shapeSize(sh), -3, 3)])));
  const options = { betas: [0.9, 0.999] as [number, number], eps: 1e-8, weightDecay: 0.05 };
  return {
    name: "AdamW, 4 steps (parameters and both moments)",
    async run() {
      const vars = tf.tidy(() => Object.fromEntries(Object.entries(shapes).map(([n, sh]) => [n, tf.variable(tf.tensor(initial[n], sh), true)])));
      const opt = new AdamW({ ...options, decays: (name) => name !== "b" });
      lrs.forEach((lr, t) => {
        const g = Object.fromEntries(Object.entries(shapes).map(([n, sh]) => [n, tf.tensor(grads[t][n], sh)]));
        opt.update(vars, g, lr);
        tf.dispose(Object.values(g));
      });
      const state = await opt.readState();
      const out: Outputs = {};
      for (const n of Object.keys(shapes)) {
        out[n] = await read(vars[n]);
        out[`${n}.exp_avg`] = state.buffers[`${n}.exp_avg`].values;
        out[`${n}.exp_avg_sq`] = state.buffers[`${n}.exp_avg_sq`].values;
      }
      opt.dispose();
      tf.dispose(Object.values(vars));
      return out;
    },
    reference() {
      const r = adamwReference(initial, grads, lrs, { ...options, noDecay: ["b"] });
      const out: Outputs = {};
      for (const n of Object.keys(shapes)) {
        out[n] = r.params[n];
        out[`${n}.exp_avg`] = r.expAvg[n];
        out[`${n}.exp_avg_sq`] = r.expAvgSq[n];
      }
      return out;
    },
  };
}

const CASES: ParityCase[] = [
  matmulCase(undefined, 5, 7, 3, false, false, 1),
  matmulCase(2, 4, 6, 3, false, false, 10),
  matmulCase(2, 4, 6, 3, true, false, 20),
  matmulCase(2, 4, 6, 3, false, true, 30),
  matmulCase(2, 4, 6, 3, true, true, 40),
  convCase(1, "same", 100),
  convCase(1, "valid", 110),
  convCase(2, "same", 120),
  convCase(2, "valid", 130),
  (() => {
    const [rows, d] = [6, 8];
    const x = Float32Array.from(uniform(200, rows * d), (v, i) => 3 * v + (i % 3)); // non-zero means, varied scales
    const gamma = uniform(201, d, 0.5, 1.5);
    const beta = uniform(202, d);
    const dy = uniform(203, rows * d);
    return {
      name: "layerNorm (ops.ts), gradients for x, gamma and beta",
      async run() {
        const [xt, gt, bt] = [tf.tensor3d(x, [2, 3, d]), tf.tensor1d(gamma), tf.tensor1d(beta)];
        const [y, [dx, dgamma, dbeta]] = await valueAndGrads((a, g, b) => layerNorm(a, g as tf.Tensor1D, b as tf.Tensor1D, 1e-6), [xt, gt, bt], dy);
        tf.dispose([xt, gt, bt]);
        return { y, dx, dgamma, dbeta };
      },
      reference() {
        return ref.layerNorm(x, gamma, beta, dy, d, 1e-6);
      },
    };
  })(),
  (() => {
    const [rows, d] = [4, 9];
    const x = uniform(300, rows * d, -3, 3);
    const dy = uniform(301, rows * d);
    return {
      name: "softmax over the last axis",
      async run() {
        const xt = tf.tensor2d(x, [rows, d]);
        const [y, [dx]] = await valueAndGrads((a) => tf.softmax(a), [xt], dy);
        xt.dispose();
        return { y, dx };
      },
      reference() {
        return ref.softmax(x, dy, d);
      },
    };
  })(),
  (() => {
    const x = uniform(310, 64, -4, 4);
    const dy = uniform(311, 64);
    return {
      name: "exact erf GELU (ops.ts)",
      async run() {
        const xt = tf.tensor2d(x, [8, 8]);
        const [y, [dx]] = await valueAndGrads((a) => gelu(a), [xt], dy);
        xt.dispose();
        return { y, dx };
      },
      reference() {
        return ref.gelu(x, dy);
      },
    };
  })(),
  (() => {
    const [rows, d] = [6, 5];
    const table = uniform(320, rows * d);
    const indices = integers(321, 9, rows);
    const dy = uniform(322, indices.length * d);
    return {
      name: "gather rows (repeated indices) and its gradient",
      async run() {
        const [tt, it] = [tf.tensor2d(table, [rows, d]), tf.tensor1d(indices, "int32")];
        const [y, [dtable]] = await valueAndGrads((t) => tf.gather(t, it), [tt], dy);
        tf.dispose([tt, it]);
        return { y, dtable };
      },
      reference() {
        return ref.gather(table, d, indices, dy);
      },
    };
  })(),
  (() => {
    const indices = integers(330, 7, 5);
    return {
      name: "oneHot, float32 and int32",
      async run() {
        const it = tf.tensor1d(indices, "int32");
        const f = tf.oneHot(it, 5, 1, 0, "float32");
        const i = tf.oneHot(it, 5);
        const out = { float32: await read(f), int32: await read(i) };
        tf.dispose([it, f, i]);
        return out;
      },
      reference() {
        const y = ref.oneHot(indices, 5);
        return { float32: y, int32: y };
      },
    };
  })(),
  poolCase("max", 2, 2, "valid", false, 600),
  poolCase("max", 3, 2, "same", false, 610),
  poolCase("max", 3, 1, "same", true, 620),
  poolCase("max", 2, 2, "valid", true, 630),
  poolCase("avg", 2, 2, "valid", false, 640),
  poolCase("avg", 3, 2, "same", true, 650),
  (() => {
    const [rows, d, k] = [3, 12, 4];
    const x = distinct(700, rows * d);
    return {
      name: "topk values and indices (no ties)",
      async run() {
        const xt = tf.tensor2d(x, [rows, d]);
        const { values, indices } = tf.topk(xt, k);
        const out = { values: await read(values), indices: await read(indices) };
        tf.dispose([xt, values, indices]);
        return out;
      },
      reference() {
        return ref.topk(x, d, k);
      },
    };
  })(),
  adamwCase(),
];

const results = new Map<string, Outputs>(); // `${backend}/${case}`
const references = new Map<string, Outputs>();
const elapsed: Record<string, number> = {};

async function runOn(backend: ParityBackend, c: ParityCase): Promise<Outputs> {
  const key = `${backend}/${c.name}`;
  const known = results.get(key);
  if (known) return known;
  await useBackend(backend);
  const tensorsBefore = tf.memory().numTensors;
  const start = performance.now();
  const out = await c.run();
  elapsed[backend] = (elapsed[backend] ?? 0) + performance.now() - start;
  expect(tf.memory().numTensors, `${c.name} leaked tensors on ${backend}`).toBe(tensorsBefore);
  results.set(key, out);
  return out;
}

function expectClose(actual: Outputs, expected: Outputs, what: string): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [name, want] of Object.entries(expected)) {
    const got = actual[name];
    expect(got.length, `${what}: ${name} has ${got.length} values, expected ${want.length}`).toBe(want.length);
    const error = ref.maxScaledError(got, want);
    expect(error, `${what}: ${name} differs by ${error.toExponential(2)}`).toBeLessThan(TOLERANCE);
  }
}

describe.each(PARITY_BACKENDS)("parity on %s", (backend) => {
  for (const c of CASES) {
    it(c.name, async () => {
      const out = await runOn(backend, c);
      if (!references.has(c.name)) references.set(c.name, c.reference());
      expectClose(out, references.get(c.name)!, `${backend} vs float64`);
      if (backend !== "cpu") {
        const onCpu = await runOn("cpu", c);
        await useBackend(backend);
        expectClose(out, onCpu, `${backend} vs cpu`);
      }
    });
  }
});

afterAll(() => {
  const parts = Object.entries(elapsed).map(([b, ms]) => `${b} ${(ms / 1000).toFixed(2)} s`);
  console.log(`parity suite compute time per backend: ${parts.join(", ")}`);
});

import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { AdamW } from "../../../src/lib/train/adamw.js";
import { initNodeBackend } from "../../../src/lib/tf/node.js";
import { maxScaledError } from "../tf/reference.js";
import { uniform } from "../tf/seeded.js";
import { adamwReference } from "./adamw-reference.js";

const SHAPES: Record<string, number[]> = { weight: [3, 4], bias: [4] };
const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);

function makeVariables(seed: number): Record<string, tf.Variable> {
  return tf.tidy(() =>
    Object.fromEntries(
      Object.entries(SHAPES).map(([name, shape], i) => [name, tf.variable(tf.tensor(uniform(seed + i, size(shape)), shape), true)]),
    ),
  );
}

/** Seeded gradients for step t, as plain arrays. */
function gradValues(t: number): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(SHAPES).map(([name, shape], i) => [name, uniform(1000 + 10 * t + i, size(shape), -2, 2)]));
}

function gradTensors(values: Record<string, Float32Array>): tf.NamedTensorMap {
  return Object.fromEntries(Object.entries(values).map(([name, v]) => [name, tf.tensor(v, SHAPES[name])]));
}

function step(opt: AdamW, vars: Record<string, tf.Variable>, t: number, lr: number): void {
  const grads = gradTensors(gradValues(t));
  opt.update(vars, grads, lr);
  tf.dispose(Object.values(grads));
}

describe("AdamW", () => {
  beforeAll(async () => {
    await initNodeBackend("wasm");
  });

  it("follows torch's AdamW over several steps with a changing learning rate", async () => {
    const vars = makeVariables(1);
    const initial = Object.fromEntries(await Promise.all(Object.entries(vars).map(async ([n, v]) => [n, await v.data()] as const)));
    const opt = new AdamW({ betas: [0.9, 0.98], eps: 1e-8, weightDecay: 0.05, decays: (name) => name !== "bias" });
    const lrs = [0.01, 0.02, 0.015, 0.005, 0.01, 0.03];
    lrs.forEach((lr, t) => step(opt, vars, t, lr));
    const ref = adamwReference(initial, lrs.map((_, t) => gradValues(t)), lrs, {
      betas: [0.9, 0.98], eps: 1e-8, weightDecay: 0.05, noDecay: ["bias"],
    });
    const state = await opt.readState();
    expect(state.step).toBe(lrs.length);
    for (const name of Object.keys(SHAPES)) {
      expect(maxScaledError(await vars[name].data(), ref.params[name])).toBeLessThan(1e-6);
      expect(maxScaledError(state.buffers[`${name}.exp_avg`].values, ref.expAvg[name])).toBeLessThan(1e-6);
      expect(maxScaledError(state.buffers[`${name}.exp_avg_sq`].values, ref.expAvgSq[name])).toBeLessThan(1e-6);
    }
    // The parameters moved: a wrong sign or a missing update would not match above, but check anyway.
    expect(maxScaledError(await vars.weight.data(), initial.weight)).toBeGreaterThan(1e-3);
    opt.dispose();
    tf.dispose(Object.values(vars));
  });

  it("decays weights before the Adam step, decoupled from the gradient", async () => {
    // With zero gradients the Adam term is 0 / (0 + eps) = 0: only p *= 1 - lr * wd remains.
    const p = tf.tidy(() => tf.variable(tf.tensor1d([1, -2, 4]), true));
    const opt = new AdamW({ weightDecay: 0.1 });
    const zero = tf.zeros([3]);
    for (let t = 0; t < 3; t++) opt.update({ p }, { p: zero }, 0.5);
    const expected = [1, -2, 4].map((x) => x * 0.95 ** 3);
    expect(maxScaledError(await p.data(), expected)).toBeLessThan(1e-6);
    tf.dispose([p, zero]);
    opt.dispose();
  });

  it("saves and restores its state so that a resumed run matches an uninterrupted one", async () => {
    const a = makeVariables(7);
    const b = makeVariables(7);
    const optA = new AdamW({ weightDecay: 0.01 });
    const optB = new AdamW({ weightDecay: 0.01 });
    for (let t = 0; t < 3; t++) {
      step(optA, a, t, 0.01);
      step(optB, b, t, 0.01);
    }
    // Round trip through JSON-friendly plain arrays into a fresh optimizer, and through tensors.
    const saved = optA.getState();
    const plain = JSON.parse(JSON.stringify(saved, (_k, v) => (v instanceof Float32Array ? Array.from(v) : v)));
    const resumed = new AdamW({ weightDecay: 0.01 });
    resumed.setState({
      step: plain.step,
      buffers: Object.fromEntries(Object.entries(plain.buffers as Record<string, { shape: number[]; values: number[] }>)
        .map(([k, buf]) => [k, { shape: buf.shape, values: Float32Array.from(buf.values) }])),
    });
    const fromTensors = new AdamW({ weightDecay: 0.01 });
    const asTensors = Object.fromEntries(Object.entries(saved.buffers).map(([k, buf]) => [k, { shape: buf.shape, values: tf.tensor(buf.values, buf.shape) }]));
    fromTensors.setState({ step: saved.step, buffers: asTensors });
    tf.dispose(Object.values(asTensors).map((x) => x.values));
    expect(resumed.stepCount).toBe(3);
    const c = makeVariables(0);
    for (const [n, v] of Object.entries(c)) v.assign(b[n]);
    for (let t = 3; t < 5; t++) {
      step(optB, b, t, 0.01);
      step(resumed, a, t, 0.01);
      step(fromTensors, c, t, 0.01);
    }
    for (const name of Object.keys(SHAPES)) {
      const want = Array.from(await b[name].data());
      expect(Array.from(await a[name].data())).toEqual(want);
      expect(Array.from(await c[name].data())).toEqual(want);
    }
    expect(resumed.getState()).toEqual(optB.getState());
    [optA, optB, resumed, fromTensors].forEach((o) => o.dispose());
    tf.dispose([...Object.values(a), ...Object.values(b), ...Object.values(c)]);
  });

  it("leaks no tensors across steps and frees its buffers on dispose", () => {
    const vars = makeVariables(3);
    const before = tf.memory().numTensors;
    const opt = new AdamW();
    step(opt, vars, 0, 0.01);
    step(opt, vars, 1, 0.01);
    const afterTwo = tf.memory().numTensors;
    expect(afterTwo).toBe(before + 2 * Object.keys(SHAPES).length); // exp_avg and exp_avg_sq
    for (let t = 2; t < 10; t++) step(opt, vars, t, 0.01);
    expect(tf.memory().numTensors).toBe(afterTwo);
    opt.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(vars));
  });

  it("says which gradient or buffer is wrong", () => {
    const vars = makeVariables(5);
    const opt = new AdamW();
    const grads = gradTensors(gradValues(0));
    expect(() => opt.update(vars, { weight: grads.weight }, 0.01)).toThrow(/no gradient for "bias"/);
    expect(() => opt.update({ weight: vars.weight }, { weight: grads.bias }, 0.01)).toThrow(/"weight" has shape \[4\] but the variable has \[3,4\]/);
    expect(() => opt.update(vars, { ...grads, extra: grads.bias }, 0.01)).toThrow(/unknown variables "extra"/);
    expect(() => opt.setState({ step: 1, buffers: { "w.momentum": { shape: [1], values: new Float32Array(1) } } })).toThrow(/unexpected buffer "w.momentum"/);
    expect(() => opt.setState({ step: 1, buffers: { "w.exp_avg": { shape: [1], values: new Float32Array(1) } } })).toThrow(/only one of exp_avg and exp_avg_sq/);
    expect(() => new AdamW({ betas: [1, 0.999] })).toThrow(/beta1 must be in \[0, 1\)/);
    opt.dispose();
    tf.dispose([...Object.values(grads), ...Object.values(vars)]);
  });
});

describe("AdamW learning-rate scale per parameter", () => {
  it("a parameter scaled by s moves as it would alone at lr * s; the others as before", async () => {
    await initNodeBackend("wasm");
    const make = () => ({ enc: tf.variable(tf.tensor1d([0.5, -1, 2, 3, -0.25])), head: tf.variable(tf.tensor1d([1, 2, -3, 0.1, 0.7])) });
    const grads = () => ({ enc: tf.tensor1d([0.1, -0.2, 0.3, 0.05, -0.4]), head: tf.tensor1d([-0.3, 0.2, 0.1, -0.05, 0.6]) });
    const scaled = make();
    const opt = new AdamW({ weightDecay: 0.01, lrScale: (n) => (n === "enc" ? 0.1 : 1) });
    const plainEnc = { enc: tf.variable(scaled.enc.clone()) };
    const plainHead = { head: tf.variable(scaled.head.clone()) };
    const optEnc = new AdamW({ weightDecay: 0.01 });
    const optHead = new AdamW({ weightDecay: 0.01 });
    for (let step = 0; step < 3; step++) {
      const g = grads();
      opt.update(scaled, g, 1e-2);
      optEnc.update(plainEnc, { enc: g.enc }, 1e-3);
      optHead.update(plainHead, { head: g.head }, 1e-2);
      tf.dispose(Object.values(g));
    }
    expect(Array.from(await scaled.enc.data())).toEqual(Array.from(await plainEnc.enc.data()));
    expect(Array.from(await scaled.head.data())).toEqual(Array.from(await plainHead.head.data()));
    for (const o of [opt, optEnc, optHead]) o.dispose();
    tf.dispose([scaled.enc, scaled.head, plainEnc.enc, plainHead.head]);
  });
});

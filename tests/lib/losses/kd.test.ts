import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { runKdFixture } from "../../../src/lib/fixtures/kd.js";
import { fixtureTensor } from "../../../src/lib/io/fixture.js";
import { binaryKl, edgeKd, KD_DEFAULTS, kdTerms, nodeKd, nodeKdPerAu, weightedKdLoss } from "../../../src/lib/losses/kd.js";
import { expectParity, loadFixture } from "../models/fixture-parity.js";
import { PARITY_BACKENDS, useBackend } from "../tf/backends.js";

const fixture = loadFixture("kd_losses");

/** Binary KL(t || clamp(p)) in float64, the clamp bounds rounded to float32 as the losses do. */
function nodeKdReference(p: ArrayLike<number>, t: ArrayLike<number>, eps = 1e-6): { value: number; grad: number[] } {
  const lo = Math.fround(eps);
  const hi = Math.fround(1 - eps);
  const xlogx = (x: number) => (x > 0 ? x * Math.log(x) : 0);
  let value = 0;
  const grad: number[] = [];
  for (let k = 0; k < p.length; k++) {
    const s = Math.min(Math.max(p[k], lo), hi);
    value += xlogx(t[k]) + xlogx(1 - t[k]) - t[k] * Math.log(s) - (1 - t[k]) * Math.log(1 - s);
    grad.push(p[k] >= lo && p[k] <= hi ? (-t[k] / s + (1 - t[k]) / (1 - s)) / p.length : 0);
  }
  return { value: value / p.length, grad };
}

describe("distillation losses (paper eq. 11-14)", () => {
  for (const backend of PARITY_BACKENDS) {
    it(`match kd_losses on ${backend} (node KD, edge T²·KL, L_kd, α·L_kd and their student gradients)`, async () => {
      await useBackend(backend);
      const before = tf.memory().numTensors;
      const produced = await runKdFixture(fixture);
      expectParity(fixture, produced, `kd ${backend}`);
      expect(tf.memory().numTensors).toBe(before);
      // The clamped entries ([0,0] = 0, [0,1] = 1) get a zero gradient, never NaN.
      const grad = produced.get("output.node_kd_grad_p_student")!.data;
      expect([grad[0], grad[1]]).toEqual([0, 0]);
      for (let i = 0; i < grad.length; i++) expect(Number.isFinite(grad[i])).toBe(true);
    });
  }

  it("node KD: binary KL(teacher || student) with the student clamped in float32 and 0 log 0 = 0 for the teacher", async () => {
    await useBackend("cpu");
    const p = [0, 1, 0.3, 0.999, 1e-7, 0.5];
    const t = [0.2, 0.7, 0, 1, 0.4, 0.5];
    const ps = tf.tensor2d([p.slice(0, 3), p.slice(3)]);
    const pt = tf.tensor2d([t.slice(0, 3), t.slice(3)]);
    const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) => nodeKd(a, b))([ps, pt]);
    const want = nodeKdReference(Array.from(await ps.data()), Array.from(await pt.data()));
    expect((await value.data())[0]).toBeCloseTo(want.value, 6);
    const gp = await grads[0].data();
    want.grad.forEach((g, i) => expect(gp[i]).toBeCloseTo(g, 5));
    // The teacher is frozen.
    expect(Array.from(await grads[1].data())).toEqual([0, 0, 0, 0, 0, 0]);
    // p_s = 1 clamps to float32(1 - 1e-6): 1 - s is 1.0133e-6, not 1e-6 (the fixture's convention).
    const one = nodeKd(tf.tensor1d([1]), tf.tensor1d([0]));
    expect((await one.data())[0]).toBeCloseTo(-Math.log(1 - Math.fround(1 - 1e-6)), 4);
    // Identical distributions give 0.
    expect((await nodeKd(pt, pt).data())[0]).toBeCloseTo(0, 6);
    tf.dispose([ps, pt, value, ...grads, one]);
  });

  it("node KD per AU: each column's binary KL averaged over the batch; their mean is node KD", async () => {
    await useBackend("cpu");
    // Three faces, four AUs; AU 3 agrees exactly, AU 0 disagrees most.
    const p = [[0.9, 0.2, 0.5, 0.3], [0.1, 0.6, 0.5, 0.8], [0.8, 0.4, 1, 0.1]];
    const t = [[0.1, 0.3, 0.6, 0.3], [0.9, 0.5, 0.4, 0.8], [0.2, 0.4, 0.7, 0.1]];
    const ps = tf.tensor2d(p);
    const pt = tf.tensor2d(t);
    const perAu = await nodeKdPerAu(ps, pt).data();
    expect(perAu).toHaveLength(4);
    for (let j = 0; j < 4; j++) {
      const want = nodeKdReference(Array.from(await ps.data()).filter((_, k) => k % 4 === j), Array.from(await pt.data()).filter((_, k) => k % 4 === j)).value;
      expect(perAu[j]).toBeCloseTo(want, 6);
    }
    expect(perAu[3]).toBeCloseTo(0, 6);
    expect(perAu[0]).toBeGreaterThan(Math.max(perAu[1], perAu[2]));
    const mean = Array.from(perAu).reduce((a, v) => a + v, 0) / 4;
    expect(mean).toBeCloseTo((await nodeKd(ps, pt).data())[0], 6);
    // The elementwise terms, row by row.
    const terms = await binaryKl(ps, pt).data();
    expect(terms[1 * 4 + 0]).toBeCloseTo(nodeKdReference([0.1], [0.9]).value, 6);
    expect(() => nodeKdPerAu(tf.tensor1d([0.5]), tf.tensor1d([0.5]))).toThrow(/\[B, N\]/);
    tf.dispose([ps, pt]);
  });

  it("edge KD: T² · mean over edges of KL(softmax(z_t/T) || softmax(z_s/T)), gradient T (q_s - q_t) / edges", async () => {
    await useBackend("cpu");
    const zs = [[1, 2, 3, 4], [0, -1, 0.5, 2], [3, 3, 3, 3]];
    const zt = [[4, 3, 2, 1], [0, -1, 0.5, 2], [-80, 0, 1, 2]];
    const T = 3;
    const softmax = (z: number[]) => {
      const e = z.map((v) => Math.exp(v / T));
      const s = e.reduce((a, v) => a + v, 0);
      return e.map((v) => v / s);
    };
    let want = 0;
    const grad: number[] = [];
    for (let e = 0; e < 3; e++) {
      const qs = softmax(zs[e]);
      const qt = softmax(zt[e]);
      for (let c = 0; c < 4; c++) {
        want += (qt[c] * Math.log(qt[c] / qs[c]) * T * T) / 3;
        grad.push((T * (qs[c] - qt[c])) / 3);
      }
    }
    const s = tf.tensor3d([zs]);
    const t = tf.tensor3d([zt]);
    const { value, grad: g } = tf.valueAndGrad((x: tf.Tensor) => edgeKd(x, t, { temperature: T }))(s);
    expect((await value.data())[0]).toBeCloseTo(want, 6);
    const got = await g.data();
    grad.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 6));
    // Edge 1 is identical on both sides: it contributes nothing, and its gradient is 0.
    expect(Math.abs(got[4]) + Math.abs(got[5]) + Math.abs(got[6]) + Math.abs(got[7])).toBeLessThan(1e-7);
    tf.dispose([s, t, value, g]);
  });

  it("L_kd = node + β·edge and α·L_kd; the paper's defaults; no gradient into the teacher", async () => {
    await useBackend("cpu");
    expect(KD_DEFAULTS).toEqual({ alpha: 1, beta: 0.1, temperature: 2, eps: 1e-6 });
    const take = (name: string) => {
      const s = fixtureTensor(fixture, name);
      return tf.tensor(s.data, s.shape);
    };
    const student = { prob: take("input.p_student"), edgeLogits: take("input.z_student") };
    const teacher = { prob: take("input.p_teacher"), edgeLogits: take("input.z_teacher") };
    const terms = kdTerms(student, teacher, { alpha: 0.5, beta: 0.3, temperature: 4 });
    const [node, edge, kd, weighted] = await Promise.all([terms.node, terms.edge, terms.kd, terms.weighted].map(async (x) => (await x.data())[0]));
    expect(kd).toBeCloseTo(node + 0.3 * edge, 6);
    expect(weighted).toBeCloseTo(0.5 * kd, 6);
    const plain = weightedKdLoss(student, teacher);
    const defaults = kdTerms(student, teacher, {});
    expect((await plain.data())[0]).toBeCloseTo((await defaults.node.data())[0] + 0.1 * (await defaults.edge.data())[0], 6);
    const grads = tf.grads((pt: tf.Tensor, zt: tf.Tensor, ps: tf.Tensor) => weightedKdLoss({ prob: ps, edgeLogits: student.edgeLogits }, { prob: pt, edgeLogits: zt }))([
      teacher.prob,
      teacher.edgeLogits,
      student.prob,
    ]);
    expect(Math.max(...Array.from(await tf.abs(grads[0]).data()))).toBe(0);
    expect(Math.max(...Array.from(await tf.abs(grads[1]).data()))).toBe(0);
    expect(Math.max(...Array.from(await tf.abs(grads[2]).data()))).toBeGreaterThan(0);
    tf.dispose([student.prob, student.edgeLogits, teacher.prob, teacher.edgeLogits, plain, ...grads, ...Object.values(terms), ...Object.values(defaults)]);
  });

  it("refuses mismatched shapes and bad options, naming them", async () => {
    await useBackend("cpu");
    const a = tf.zeros([2, 3]);
    const b = tf.zeros([2, 4]);
    expect(() => nodeKd(a, b)).toThrow(/student \[2,3\] and teacher \[2,4\]/);
    expect(() => edgeKd(a, b)).toThrow(/edgeKd/);
    expect(() => edgeKd(a, a, { temperature: 0 })).toThrow(/temperature must be positive/);
    expect(() => nodeKd(a, a, { eps: 0.7 })).toThrow(/eps must be in/);
    expect(() => kdTerms({ prob: a, edgeLogits: a }, { prob: a, edgeLogits: a }, { beta: NaN })).toThrow(/beta must be a finite number/);
    tf.dispose([a, b]);
  });
});

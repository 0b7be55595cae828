import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { runLossesFixture } from "../../../src/lib/fixtures/losses.js";
import { fixtureTensor } from "../../../src/lib/io/fixture.js";
import { edgeCrossEntropy, edgeLabels, edgeLabelsArray } from "../../../src/lib/losses/edge.js";
import { auOccurrenceRates, auWeightsFromRates, weightedAsymmetricLoss } from "../../../src/lib/losses/wal.js";
import { expectParity, loadFixture } from "../models/fixture-parity.js";
import { PARITY_BACKENDS, useBackend } from "../tf/backends.js";

const fixture = loadFixture("megraphau_losses");

describe("ME-GraphAU losses", () => {
  for (const backend of PARITY_BACKENDS) {
    it(`match megraphau_losses on ${backend} (WAL weighted / unweighted, edge CE, gradients, total)`, async () => {
      await useBackend(backend);
      const before = tf.memory().numTensors;
      const produced = await runLossesFixture(fixture);
      expectParity(fixture, produced, `losses ${backend}`);
      expect(tf.memory().numTensors).toBe(before);
      // Clamped entries (p = 0 with y = 0, p = 1 with y = 1) get a zero gradient, never NaN.
      const grad = produced.get("output.wa_loss_grad_prob")!.data;
      for (let i = 0; i < grad.length; i++) expect(Number.isFinite(grad[i])).toBe(true);
    });
  }

  it("edge labels are 2*y_i + y_j for e = i*N + j, and the fixture's labels follow that rule", async () => {
    await useBackend("cpu");
    const y = tf.tensor2d([[1, 0, 1], [0, 1, 1]]);
    const labels = await edgeLabels(y).data();
    expect(Array.from(labels)).toEqual([3, 2, 3, 1, 0, 1, 3, 2, 3, 0, 1, 1, 2, 3, 3, 2, 3, 3]);
    expect(Array.from(edgeLabelsArray([1, 0, 1, 0, 1, 1], 3))).toEqual(Array.from(labels));
    y.dispose();
    const ys = fixtureTensor(fixture, "input.labels");
    const [, n] = ys.shape;
    expect(Array.from(edgeLabelsArray(ys.data, n))).toEqual(Array.from(fixtureTensor(fixture, "input.edge_labels").data));
  });

  it("edge cross-entropy is the mean negative log-softmax of the target class", async () => {
    await useBackend("cpu");
    const logits = tf.tensor3d([[[1, 2, 3, 4], [0, 0, 0, 0]]]);
    const loss = await edgeCrossEntropy(logits, tf.tensor2d([[3, 1]], [1, 2], "int32")).data();
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3) + Math.exp(4));
    expect(loss[0]).toBeCloseTo(((lse - 4) + Math.log(4)) / 2, 6);
  });

  it("margin and gamma (paper eq. 4-5): p_m = max(p - m, 0), negatives weighted by detached p_m^gamma", async () => {
    await useBackend("cpu");
    const p = [0.05, 0.3, 0.9, 0.6];
    const y = [0, 0, 1, 1];
    const m = 0.1;
    const gamma = 2;
    const prob = tf.tensor2d([p]);
    const labels = tf.tensor2d([y]);
    const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => weightedAsymmetricLoss(x, labels, { margin: m, gamma }))(prob);
    let expected = 0;
    const g: number[] = [];
    for (let i = 0; i < 4; i++) {
      const pm = Math.max(p[i] - m, 0);
      const pos = y[i] * Math.log(Math.max(pm, 1e-8));
      const neg = (1 - y[i]) * pm ** gamma * Math.log(Math.max(1 - pm, 1e-8));
      expected += -(pos + neg) / 4;
      const dpm = p[i] > m ? 1 : 0;
      const dPos = y[i] && pm >= 1e-8 ? y[i] / pm : 0;
      const dNeg = (1 - y[i]) * pm ** gamma * (-1 / (1 - pm));
      g.push((-(dPos + dNeg) * dpm) / 4);
    }
    expect((await value.data())[0]).toBeCloseTo(expected, 6);
    const got = await grad.data();
    for (let i = 0; i < 4; i++) expect(got[i]).toBeCloseTo(g[i], 5);
    tf.dispose([prob, labels, value, grad]);
  });

  it("AU weights from occurrence rates: 1/r normalised to sum N; the BP4D weight file is of that form", () => {
    const rates = [0.2, 0.1, 0.4, 0.5];
    const w = auWeightsFromRates(rates);
    const inv = rates.map((r) => 1 / r);
    const total = inv.reduce((a, v) => a + v, 0);
    for (let i = 0; i < 4; i++) expect(w[i]).toBeCloseTo((inv[i] / total) * 4, 6);
    expect(w.reduce((a, v) => a + v, 0)).toBeCloseTo(4, 5);
    // The official weights (input.au_weight) sum to N, and rates proportional to 1/w give them back.
    const official = fixtureTensor(fixture, "input.au_weight").data;
    const n = official.length;
    expect(Array.from(official).reduce((a, v) => a + v, 0)).toBeCloseTo(n, 4);
    const implied = Array.from(official, (v) => 0.05 / v);
    const back = auWeightsFromRates(implied);
    for (let i = 0; i < n; i++) expect(back[i]).toBeCloseTo(official[i], 5);
    expect(Array.from(auOccurrenceRates([1, 0, 1, 1, 0, 0], 2))).toEqual([2 / 3, 1 / 3]);
    expect(() => auWeightsFromRates([0.5, 0])).toThrow(/AU 1/);
  });
});

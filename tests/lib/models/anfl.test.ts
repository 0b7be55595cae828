import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { runAnflFixture } from "../../../src/lib/fixtures/anfl.js";
import { createAnflHead } from "../../../src/lib/models/anfl.js";
import { weightedAsymmetricLoss } from "../../../src/lib/losses/wal.js";
import { PARITY_BACKENDS, useBackend } from "../tf/backends.js";
import { uniform } from "../tf/seeded.js";
import { expectParity, loadFixture } from "./fixture-parity.js";
import { gradientReport, leakCheck } from "./head-checks.js";

const fixture = loadFixture("megraphau_anfl");

describe("ANFL head", () => {
  for (const backend of PARITY_BACKENDS) {
    it(`matches megraphau_anfl on ${backend} (eval, train, updated buffers, cosine and l1 metrics)`, async () => {
      await useBackend(backend);
      const before = tf.memory().numTensors;
      const produced = await runAnflFixture(fixture);
      expectParity(fixture, produced, `anfl ${backend}`);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it("registers the official keys and shapes", async () => {
    await useBackend("cpu");
    const head = createAnflHead({ inChannels: 32, backboneChannels: 64, numClasses: 12 }, { seed: 1 });
    const expected = Object.entries(fixture.sidecar.tensors).filter(([, t]) => t.role === "weight");
    expect(head.params.names()).toEqual(expected.map(([name]) => name));
    for (const [name, t] of expected) expect(head.params.get(name).shape).toEqual(t.shape);
    expect(head.params.get("head.gnn.bnv.num_batches_tracked").dtype).toBe("int32");
    head.dispose();
  });

  for (const backend of PARITY_BACKENDS) {
    it(`every parameter gets a gradient from L_AU on ${backend}; repeated train steps leak nothing`, async () => {
      await useBackend(backend);
      const config = { inChannels: 16, backboneChannels: 24, numClasses: 6, neighborNum: 3 };
      const head = createAnflHead(config, { seed: 7 });
      const [b, t] = [4, 5];
      const features = tf.tensor(uniform(11, b * t * config.backboneChannels, -2, 2), [b, t, config.backboneChannels]);
      const labels = tf.tensor(Float32Array.from(uniform(12, b * config.numClasses, 0, 1), (v) => (v > 0.5 ? 1 : 0)), [b, config.numClasses]);
      const weights = tf.tensor1d(uniform(13, config.numClasses, 0.5, 1.5));
      const loss = (training: boolean) => weightedAsymmetricLoss(head.forward(features, { training }).cl, labels, { weights });

      // Train mode: the fc bias before a train-mode BatchNorm cancels exactly (the batch mean removes it).
      const train = await gradientReport(head.params, () => loss(true));
      const cancelled = (name: string) => /(^|\.)fc\.bias$/.test(name);
      expect(train.missing).toEqual([]);
      expect(train.zero.filter((n) => !cancelled(n))).toEqual([]);
      for (const name of Object.keys(train.maxAbs).filter(cancelled)) expect(train.maxAbs[name]).toBeLessThan(1e-6 * train.largest);
      head.discardBatchNorm();
      // Eval mode: those biases get their gradient too.
      const evalMode = await gradientReport(head.params, () => loss(false));
      expect(evalMode.missing).toEqual([]);
      expect(evalMode.zero).toEqual([]);

      await leakCheck(head, () => loss(true), 4);
      expect(tf.memory().numTensors).toBeGreaterThan(0);
      tf.dispose([features, labels, weights]);
      head.dispose();
    });
  }

  it("K = N connects every node; every metric runs at other sizes", async () => {
    await useBackend("cpu");
    const features = tf.tensor(uniform(41, 3 * 2 * 10, -2, 2), [3, 2, 10]);
    for (const metric of ["dots", "cosine", "l1"] as const) {
      const head = createAnflHead({ inChannels: 5, backboneChannels: 10, numClasses: 7, neighborNum: 7, metric }, { seed: 4 });
      const out = head.forward(features, { intermediates: true });
      expect(Array.from(await out.mids["gnn.adj"].data()).every((v) => v === 1)).toBe(true);
      const norm = await out.mids["gnn.norm_adj"].data();
      for (const v of norm) expect(v).toBeCloseTo(1 / 7, 6);
      expect(out.cl.shape).toEqual([3, 7]);
      tf.dispose(out);
      head.dispose();
    }
    features.dispose();
    expect(() => createAnflHead({ inChannels: 5, backboneChannels: 10, numClasses: 7, neighborNum: 8 }).forward(tf.zeros([1, 2, 10]))).toThrow(/neighborNum/);
  });
});

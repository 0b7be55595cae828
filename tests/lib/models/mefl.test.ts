import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { runMeflFixture } from "../../../src/lib/fixtures/mefl.js";
import { edgeCrossEntropy, edgeLabels, stage2Loss } from "../../../src/lib/losses/edge.js";
import { weightedAsymmetricLoss } from "../../../src/lib/losses/wal.js";
import { createMeflHead } from "../../../src/lib/models/mefl.js";
import { PARITY_BACKENDS, useBackend } from "../tf/backends.js";
import { uniform } from "../tf/seeded.js";
import { expectParity, loadFixture } from "./fixture-parity.js";
import { gradientReport, leakCheck } from "./head-checks.js";

const fixture = loadFixture("megraphau_mefl");

describe("MEFL head", () => {
  for (const backend of PARITY_BACKENDS) {
    it(`matches megraphau_mefl on ${backend} (eval, train, updated buffers)`, async () => {
      await useBackend(backend);
      const before = tf.memory().numTensors;
      const produced = await runMeflFixture(fixture);
      expectParity(fixture, produced, `mefl ${backend}`);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it("registers the official keys and shapes", async () => {
    await useBackend("cpu");
    const head = createMeflHead({ inChannels: 32, backboneChannels: 64, numClasses: 12 }, { seed: 1 });
    const expected = Object.entries(fixture.sidecar.tensors).filter(([, t]) => t.role === "weight");
    expect(head.params.names()).toEqual(expected.map(([name]) => name));
    for (const [name, t] of expected) expect(head.params.get(name).shape).toEqual(t.shape);
    head.dispose();
  });

  for (const backend of PARITY_BACKENDS) {
    it(`every parameter gets a gradient from L_AU + lambda L_E on ${backend}; repeated train steps leak nothing`, async () => {
      await useBackend(backend);
      const config = { inChannels: 10, backboneChannels: 14, numClasses: 5 };
      const head = createMeflHead(config, { seed: 9 });
      const [b, t] = [3, 4];
      const n = config.numClasses;
      const features = tf.tensor(uniform(21, b * t * config.backboneChannels, -2, 2), [b, t, config.backboneChannels]);
      const labels = tf.tensor(Float32Array.from(uniform(22, b * n, 0, 1), (v) => (v > 0.5 ? 1 : 0)), [b, n]);
      const targets = edgeLabels(labels);
      const loss = (training: boolean) => {
        const out = head.forward(features, { training });
        // The official lambda (0.001).
        return stage2Loss(weightedAsymmetricLoss(out.cl, labels), edgeCrossEntropy(out.clEdge, targets));
      };
      // Exactly zero by construction: fc biases before a train-mode BatchNorm (removed with the
      // batch mean) and the attention key biases (a constant added to every key score of a query:
      // softmax is invariant to it). Everything else must get a gradient.
      const keyBias = (name: string) => name.endsWith("linear_k.bias");
      const fcBias = (name: string) => /(^|\.)fc\.bias$/.test(name) && !name.startsWith("head.edge_fc");
      const train = await gradientReport(head.params, () => loss(true));
      expect(train.missing).toEqual([]);
      expect(train.zero.filter((name) => !keyBias(name) && !fcBias(name))).toEqual([]);
      for (const name of Object.keys(train.maxAbs).filter((x) => keyBias(x) || fcBias(x))) {
        expect(train.maxAbs[name], name).toBeLessThan(1e-5 * train.largest);
      }
      head.discardBatchNorm();
      const evalMode = await gradientReport(head.params, () => loss(false));
      expect(evalMode.missing).toEqual([]);
      expect(evalMode.zero.filter((name) => !keyBias(name))).toEqual([]);

      await leakCheck(head, () => loss(true), 4);
      tf.dispose([features, labels, targets]);
      head.dispose();
    });
  }

  it("other sizes (odd C, 8 AUs, one token) run and agree between cpu and wasm", async () => {
    const config = { inChannels: 7, backboneChannels: 9, numClasses: 8 };
    const values = uniform(31, 2 * 1 * 9, -2, 2);
    const results: Float32Array[] = [];
    for (const backend of ["cpu", "wasm"] as const) {
      await useBackend(backend);
      const head = createMeflHead(config, { seed: 3 });
      const features = tf.tensor(values, [2, 1, 9]);
      const out = head.forward(features, { training: true, intermediates: true });
      expect(out.cl.shape).toEqual([2, 8]);
      expect(out.clEdge.shape).toEqual([2, 64, 4]);
      expect(out.mids["gem.fam"].shape).toEqual([2, 8, 1, 7]);
      results.push(Float32Array.from([...(await out.cl.data()), ...(await out.clEdge.data())]));
      tf.dispose([features, out]);
      head.commitBatchNorm();
      expect((await head.params.get("head.gnn.bne2.num_batches_tracked").data())[0]).toBe(1);
      head.dispose();
    }
    for (let i = 0; i < results[0].length; i++) expect(Math.abs(results[0][i] - results[1][i])).toBeLessThan(1e-4 * (1 + Math.abs(results[0][i])));
  });
});

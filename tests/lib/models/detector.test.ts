import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { MAE_PRESETS } from "../../../src/lib/config.js";
import { generateFaceDataset } from "../../../src/lib/data/generate.js";
import { foldSplit } from "../../../src/lib/data/folds.js";
import { normalizeImages } from "../../../src/lib/data/normalize.js";
import { FrameImages } from "../../../src/lib/data/frames.js";
import { occlusionPatchMasks, parseOcclusion } from "../../../src/lib/masks/spec.js";
import { evaluateDetector } from "../../../src/lib/eval/evaluate.js";
import { AuConfusion } from "../../../src/lib/eval/f1.js";
import { createDetector, detectorConfig, type DetectorConfig } from "../../../src/lib/models/detector.js";
import { createMae } from "../../../src/lib/models/mae.js";
import { CheckpointMismatchError, type ParamStore } from "../../../src/lib/models/params.js";
import { edgeCrossEntropy, edgeLabels } from "../../../src/lib/losses/edge.js";
import { weightedAsymmetricLoss } from "../../../src/lib/losses/wal.js";
import type { Detector } from "../../../src/lib/models/detector.js";
import { AdamW } from "../../../src/lib/train/adamw.js";
import { DetectorTrainTask } from "../../../src/lib/train/detector-task.js";
import { Trainer } from "../../../src/lib/train/trainer.js";
import { useBackend } from "../tf/backends.js";
import { uniform } from "../tf/seeded.js";
import { gradientReport, leakCheck } from "./head-checks.js";

/** A detector small enough for gradient checks: 32 px, a 2-stage ResNet, 5 AUs. */
function tinyConfig(head: "anfl" | "mefl"): DetectorConfig {
  return {
    backbone: { kind: "resnet", resnet: { stemChannels: 6, stemKernel: 3, stemStride: 2, maxPool: false, widths: [6, 10], blocks: [1, 1] } },
    head,
    imgSize: 32,
    numClasses: 5,
    inChannels: 8,
    neighborNum: 3,
    metric: "dots",
  };
}

/** The detector's parameters seen as one store by full state_dict name (for the shared gradient and leak checks). */
function view(det: Detector): ParamStore {
  const get = (n: string) => (n.startsWith("backbone.") ? det.backbone.params.get(n.slice("backbone.".length)) : det.head.params.get(n));
  return { trainable: () => det.trainable(), names: () => det.names(), get } as unknown as ParamStore;
}

const images = (seed: number, b: number, size = 32) => tf.tensor4d(uniform(seed, b * size * size * 3, -2, 2), [b, size, size, 3]);
const labelsOf = (seed: number, b: number, n: number) => tf.tensor2d(Float32Array.from(uniform(seed, b * n), (v) => (v > 0 ? 1 : 0)), [b, n]);

/** A small synthetic dataset at 32 px (generated once per file). */
const dataset = generateFaceDataset({ preset: "bp4d", seed: 3, subjects: 6, sequencesPerSubject: 1, framesPerSequence: 6, size: 32 });

describe("AU detector (backbone + ME-GraphAU head)", () => {
  it("uses ME-GraphAU's state_dict names: backbone.*, global_linear.*, head.*", async () => {
    await useBackend("cpu");
    for (const head of ["anfl", "mefl"] as const) {
      const det = createDetector(tinyConfig(head));
      const names = det.names();
      expect(names[0]).toBe("backbone.conv1.weight");
      expect(names).toContain("backbone.layer2.0.downsample.1.running_mean");
      expect(names).toContain("global_linear.fc.weight");
      expect(names).toContain("head.sc");
      expect(names).toContain(head === "anfl" ? "head.gnn.bnv.running_var" : "head.edge_fc.weight");
      expect(names.every((n) => /^(backbone|global_linear|head)\./.test(n))).toBe(true);
      expect(det.head.config.backboneChannels).toBe(10);
      det.dispose();
    }
  });

  for (const backend of ["cpu", "wasm"] as const) {
    it(`stage 1: every parameter gets a gradient from L_AU on ${backend} (except the fc biases a train-mode BatchNorm cancels); no leaks`, async () => {
      await useBackend(backend);
      const det = createDetector(tinyConfig("anfl"), { seed: 5 });
      const x = images(1, 4);
      const y = labelsOf(2, 4, 5);
      const loss = () => weightedAsymmetricLoss(det.forward(x, { training: true }).prob, y, { weights: [1, 2, 0.5, 1, 1.5] });
      const report = await gradientReport(view(det), loss);
      const cancelled = (n: string) => /(^|\.)fc\.bias$/.test(n);
      expect(report.missing).toEqual([]);
      expect(report.zero.filter((n) => !cancelled(n))).toEqual([]);
      for (const n of Object.keys(report.maxAbs).filter(cancelled)) expect(report.maxAbs[n]).toBeLessThan(1e-5 * report.largest);
      expect(Object.keys(report.maxAbs).filter((n) => n.startsWith("backbone.")).length).toBe(Object.keys(det.trainable()).filter((n) => n.startsWith("backbone.")).length);
      det.discardBatchNorm();
      await leakCheck({ params: view(det), commitBatchNorm: () => det.commitBatchNorm() }, loss, 3);
      tf.dispose([x, y]);
      det.dispose();
    });

    it(`stage 2: every parameter gets a gradient from L_AU + lambda L_E on ${backend} (except fc biases before BatchNorm and attention key biases)`, async () => {
      await useBackend(backend);
      const det = createDetector(tinyConfig("mefl"), { seed: 6 });
      const x = images(3, 3);
      const y = labelsOf(4, 3, 5);
      const targets = edgeLabels(y);
      const loss = () => {
        const out = det.forward(x, { training: true });
        return tf.add(weightedAsymmetricLoss(out.prob, y), tf.mul(edgeCrossEntropy(out.edgeLogits!, targets), 0.01)) as tf.Scalar;
      };
      const report = await gradientReport(view(det), loss);
      const exempt = (n: string) => n.endsWith("linear_k.bias") || (/(^|\.)fc\.bias$/.test(n) && !n.startsWith("head.edge_fc"));
      expect(report.missing).toEqual([]);
      expect(report.zero.filter((n) => !exempt(n))).toEqual([]);
      for (const n of Object.keys(report.maxAbs).filter(exempt)) expect(report.maxAbs[n], n).toBeLessThan(1e-5 * report.largest);
      det.discardBatchNorm();
      await leakCheck({ params: view(det), commitBatchNorm: () => det.commitBatchNorm() }, loss, 3);
      tf.dispose([x, y, targets]);
      det.dispose();
    });
  }

  it("trains through the Trainer without leaking: tensor count at step 4 equals step 2; the task commits BatchNorm statistics per step", async () => {
    await useBackend("wasm");
    for (const head of ["anfl", "mefl"] as const) {
      const det = createDetector({ ...tinyConfig(head), numClasses: dataset.aus.length }, { seed: 1 });
      const { train } = foldSplit(dataset, 0);
      const task = new DetectorTrainTask(det, dataset, train, {
        batchSize: 4,
        seed: 2,
        condition: { input: "occluded", occlusion: parseOcclusion("random:0.5"), patch: 8 },
      });
      const optimizer = new AdamW({ weightDecay: 5e-4 });
      const counts: number[] = [];
      const trainer = new Trainer(task, { steps: 4, lr: 1e-3, minLr: 0, warmupSteps: 0 }, optimizer, {
        onStep: () => void counts.push(tf.memory().numTensors),
      });
      await trainer.run();
      expect(counts[1]).toBe(counts[3]);
      expect((await det.backbone.params.get("bn1.num_batches_tracked").data())[0]).toBe(4);
      expect((await det.head.params.get("global_linear.bn.num_batches_tracked").data())[0]).toBe(4);
      if (head === "mefl") expect(trainer.history[0].metrics.lossEdge).toBeGreaterThan(0);
      task.dispose();
      optimizer.dispose();
      det.dispose();
    }
  });

  it("round-trips its state_dict; strict loads name what is missing or unexpected", async () => {
    await useBackend("cpu");
    const a = createDetector(tinyConfig("anfl"), { seed: 1 });
    const b = createDetector(tinyConfig("anfl"), { seed: 2 });
    const x = images(9, 2);
    // Move BatchNorm statistics so that buffers matter too.
    tf.dispose(a.forward(x, { training: true }).prob);
    a.commitBatchNorm();
    const state = await a.stateDict();
    b.load(state);
    const pa = a.forward(x).prob;
    const pb = b.forward(x).prob;
    expect(Array.from(await pb.data())).toEqual(Array.from(await pa.data()));
    const partial = new Map(state);
    partial.delete("backbone.layer1.0.bn1.running_var");
    partial.set("extra.weight", { shape: [1], data: new Float32Array(1) });
    expect(() => b.load(partial, { source: "x.safetensors" })).toThrow(CheckpointMismatchError);
    expect(() => b.load(partial, { source: "x.safetensors" })).toThrow(/backbone\.layer1\.0\.bn1\.running_var/);
    const report = b.load(partial, { strict: false });
    expect(report.missing).toEqual(["backbone.layer1.0.bn1.running_var"]);
    expect(report.unexpected).toEqual(["extra.weight"]);
    // Stage 2 starts from stage 1: the shared parts (backbone, global_linear, class linears, prototypes) load.
    const m = createDetector(tinyConfig("mefl"), { seed: 3 });
    const r2 = m.load(state, { strict: false });
    expect(r2.misShaped).toEqual([]);
    expect(r2.missing.every((n) => n.startsWith("head.") && !n.startsWith("head.class_linears") && n !== "head.sc")).toBe(true);
    expect(r2.unexpected.every((n) => n.startsWith("head.gnn."))).toBe(true);
    tf.dispose([x, pa, pb]);
    [a, b, m].forEach((d) => d.dispose());
  });

  it("mae-vit backbone: the MAE encoder's patch tokens (cls dropped), frozen by default, encoder names only", async () => {
    await useBackend("cpu");
    const maeCfg = { ...MAE_PRESETS.tiny, imgSize: 32, embedDim: 16, depth: 1, numHeads: 2, decoderEmbedDim: 8, decoderDepth: 1, decoderNumHeads: 1 };
    const mae = createMae(maeCfg, { seed: 1 });
    const cfg: DetectorConfig = { backbone: { kind: "mae-vit", mae: maeCfg, frozen: true }, head: "anfl", imgSize: 32, numClasses: 4, inChannels: 8, neighborNum: 2, metric: "dots" };
    const x = images(11, 2);
    const tokens = mae.forwardEncoderAll(x);
    const det = createDetector(cfg, { mae });
    expect(det.names().some((n) => n.startsWith("backbone.decoder") || n === "backbone.mask_token")).toBe(false);
    expect(det.names()).toContain("backbone.blocks.0.attn.qkv.weight");
    expect(Object.keys(det.trainable()).some((n) => n.startsWith("backbone."))).toBe(false);
    const feats = det.backbone.forwardFeatures(x, false);
    expect(feats.shape).toEqual([2, 16, 16]);
    const expected = tf.slice(tokens, [0, 1, 0], [2, 16, 16]);
    expect(Array.from(await feats.data())).toEqual(Array.from(await expected.data()));
    const report = await gradientReport(view(det), () => tf.mean(det.forward(x, { training: true }).prob) as tf.Scalar);
    expect(report.missing).toEqual([]);
    det.discardBatchNorm();
    const unfrozen = createDetector({ ...cfg, backbone: { ...cfg.backbone, frozen: false } as DetectorConfig["backbone"] });
    expect(Object.keys(unfrozen.trainable())).toContain("backbone.blocks.0.attn.qkv.weight");
    tf.dispose([x, tokens, feats, expected]);
    det.dispose();
    unfrozen.dispose();
  });

  it("forward(x) is forwardHead(forwardFeatures(x)) bit for bit, in eval and train mode, for both heads", async () => {
    await useBackend("cpu");
    for (const head of ["anfl", "mefl"] as const) {
      const det = createDetector(tinyConfig(head), { seed: 8 });
      const x = images(12, 3);
      for (const training of [false, true]) {
        const whole = det.forward(x, { training });
        det.discardBatchNorm();
        const tokens = det.forwardFeatures(x, { training });
        const split = det.forwardHead(tokens, { training });
        det.discardBatchNorm();
        expect(split.kind).toBe(head);
        expect(whole.kind).toBe(head);
        expect(Array.from(await split.prob.data())).toEqual(Array.from(await whole.prob.data()));
        expect(Array.from(await split.nodeFeatures.data())).toEqual(Array.from(await whole.nodeFeatures.data()));
        if (whole.kind === "mefl" && split.kind === "mefl") {
          expect(Array.from(await split.edgeLogits.data())).toEqual(Array.from(await whole.edgeLogits.data()));
        } else {
          expect(whole.edgeLogits).toBeUndefined();
          expect(split.edgeLogits).toBeUndefined();
        }
        // Asking for intermediates changes none of the outputs.
        const withMids = det.forward(x, { training, intermediates: true });
        det.discardBatchNorm();
        expect(Array.from(await withMids.prob.data())).toEqual(Array.from(await whole.prob.data()));
        tf.dispose([whole, tokens, split, withMids]);
      }
      tf.dispose(x);
      det.dispose();
    }
  });

  it("nodeFeatures [B, N, C] are what the classifier reads: prob = cos(nodeFeatures_i, relu(prototype_i)); typed intermediates per head", async () => {
    await useBackend("cpu");
    const [b, n, c] = [3, 5, 8];
    for (const head of ["anfl", "mefl"] as const) {
      const det = createDetector(tinyConfig(head), { seed: 9 });
      const x = images(13, b);
      const before = tf.memory().numTensors;
      const out = det.forward(x, { intermediates: true });
      expect(out.prob.shape).toEqual([b, n]);
      expect(out.nodeFeatures.shape).toEqual([b, n, c]);
      expect(Math.min(...(await out.nodeFeatures.data()))).toBeGreaterThanOrEqual(0); // ReLU'd
      const cosine = tf.tidy(() => {
        const proto = tf.relu(det.head.params.get("head.sc")); // [N, C]
        const dot = tf.sum(tf.mul(out.nodeFeatures, proto), -1);
        return tf.div(dot, tf.mul(tf.norm(out.nodeFeatures, 2, -1), tf.norm(proto, 2, -1)));
      });
      const prob = await out.prob.data();
      (await cosine.data()).forEach((v, k) => expect(v).toBeCloseTo(prob[k], 5));
      cosine.dispose();
      switch (out.kind) {
        case "anfl": {
          const { afgFeatures, similarity, adjacency, normAdjacency } = out.intermediates;
          expect(afgFeatures.shape).toEqual([b, n, c]);
          for (const t of [similarity, adjacency, normAdjacency]) expect(t.shape).toEqual([b, n, n]);
          // Every node keeps at least K = 3 neighbours (ties can add more).
          const degrees = tf.sum(adjacency, -1);
          for (const k of await degrees.data()) expect(k).toBeGreaterThanOrEqual(3);
          degrees.dispose();
          break;
        }
        case "mefl": {
          expect(out.edgeLogits.shape).toEqual([b, n * n, 4]);
          const { afgFeatures, gemEdgeFeatures, edgeFeatures } = out.intermediates;
          expect(afgFeatures.shape).toEqual([b, n, c]);
          expect(gemEdgeFeatures.shape).toEqual([b, n * n, c]);
          expect(edgeFeatures.shape).toEqual([b, n * n, c]);
          break;
        }
      }
      tf.dispose(out);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose(x);
      det.dispose();
    }
  });

  it("the presets build for 64 px and 12 AUs", async () => {
    await useBackend("cpu");
    const det = createDetector(detectorConfig("tiny", { head: "anfl", numClasses: 12 }));
    const x = tf.zeros([2, 64, 64, 3]) as tf.Tensor4D;
    const out = det.forward(x);
    expect(out.prob.shape).toEqual([2, 12]);
    expect(det.backbone.forwardFeatures(x, false).shape).toEqual([2, 16, 64]);
    tf.dispose([x, out.prob]);
    det.dispose();
  });
});

describe("detector training task and evaluation", () => {
  it("the batch of a step is a function of (seed, step); occlusion changes only the removed patches", async () => {
    await useBackend("cpu");
    const { train } = foldSplit(dataset, 0);
    const make = (input: "clean" | "occluded") => {
      const det = createDetector({ ...tinyConfig("anfl"), numClasses: dataset.aus.length });
      const task = new DetectorTrainTask(det, dataset, train, { batchSize: 5, seed: 7, flip: false, condition: { input, occlusion: parseOcclusion(input === "clean" ? "none" : "block:0.3"), patch: 8 } });
      return { det, task };
    };
    const a = make("clean");
    const b = make("clean");
    const o = make("occluded");
    const ia = a.task.inputs(3);
    expect(Array.from(b.task.inputs(3).images)).toEqual(Array.from(ia.images));
    expect(Array.from(a.task.inputs(4).frames)).not.toEqual(Array.from(ia.frames));
    const io = o.task.inputs(3);
    expect(Array.from(io.frames)).toEqual(Array.from(ia.frames));
    // Pixels differ only inside 8 px patches, and about 30% of them are painted gray.
    let changed = 0;
    for (let i = 0; i < io.images.length; i++) {
      if (io.images[i] !== ia.images[i]) {
        changed++;
        expect(io.images[i]).toBe(128);
      }
    }
    expect(changed).toBeGreaterThan(0.15 * io.images.length);
    // AU weights from the training fold's rates: rarer AUs weigh more, mean 1.
    const w = Array.from(a.task.auWeights);
    expect(w.reduce((s, v) => s + v, 0)).toBeCloseTo(w.length, 4);
    [a, b, o].forEach(({ det, task }) => {
      task.dispose();
      det.dispose();
    });
  });

  it("composite input needs composites of every training frame", async () => {
    await useBackend("cpu");
    const { train } = foldSplit(dataset, 0);
    const det = createDetector({ ...tinyConfig("anfl"), numClasses: dataset.aus.length });
    const condition = { input: "composite" as const, occlusion: parseOcclusion("random:0.5"), patch: 8 };
    expect(() => new DetectorTrainTask(det, dataset, train, { batchSize: 2, seed: 0, condition })).toThrow(/composites/);
    const some = new FrameImages(train.slice(0, 3), new Uint8Array(3 * 32 * 32 * 3), 32);
    expect(() => new DetectorTrainTask(det, dataset, train, { batchSize: 2, seed: 0, condition, composites: some })).toThrow(/no composite for training frame/);
    const all = new FrameImages(train, new Uint8Array(train.length * 32 * 32 * 3).fill(7), 32);
    const task = new DetectorTrainTask(det, dataset, train, { batchSize: 2, seed: 0, condition, composites: all });
    expect(Array.from(task.inputs(0).images).every((v) => v === 7)).toBe(true);
    task.dispose();
    // Several occlusion variants per frame: each image of a batch takes one of them.
    const other = new FrameImages(train, new Uint8Array(train.length * 32 * 32 * 3).fill(9), 32);
    const mixed = new DetectorTrainTask(det, dataset, train, { batchSize: 16, seed: 0, flip: false, condition, composites: [all, other] });
    const seen = new Set<number>();
    for (let step = 0; step < 3; step++) {
      const img = mixed.inputs(step).images;
      for (let j = 0; j < 16; j++) seen.add(img[j * 32 * 32 * 3]);
    }
    expect([...seen].sort()).toEqual([7, 9]);
    mixed.dispose();
    det.dispose();
  });

  it("evaluates a fold with the official counting; occluded and composite masks are keyed by frame", async () => {
    await useBackend("cpu");
    const { test } = foldSplit(dataset, 0);
    const det = createDetector({ ...tinyConfig("anfl"), numClasses: dataset.aus.length }, { seed: 4 });
    const clean = await evaluateDetector(det, dataset, test, { condition: { input: "clean", occlusion: parseOcclusion("none"), patch: 8 }, batchSize: 5 });
    expect(clean.frames).toBe(test.length);
    const labels = Float32Array.from({ length: test.length * dataset.aus.length }, (_, k) => dataset.labels[test[Math.floor(k / dataset.aus.length)] * dataset.aus.length + (k % dataset.aus.length)]);
    const ref = new AuConfusion(dataset.aus.length).add(clean.probs, labels).scores();
    expect(clean.f1).toEqual(ref.f1);
    expect(clean.meanF1).toBe(ref.meanF1);
    // Same masks for the same frames, whatever the batch.
    const plan = parseOcclusion("random:0.5");
    const m1 = occlusionPatchMasks(plan, test, 4, 8);
    const m2 = occlusionPatchMasks(plan, test.slice(2), 4, 8);
    expect(Array.from(m2)).toEqual(Array.from(m1.slice(2 * 16)));
    const occ = await evaluateDetector(det, dataset, test, { condition: { input: "occluded", occlusion: plan, patch: 8 }, batchSize: 3 });
    const occ2 = await evaluateDetector(det, dataset, test, { condition: { input: "occluded", occlusion: plan, patch: 8 }, batchSize: 7 });
    expect(Array.from(occ2.probs)).toEqual(Array.from(occ.probs));
    // Normalised input is what the detector sees.
    expect(normalizeImages(new Uint8Array(3 * 4), 2).data.length).toBe(12);
    det.dispose();
  });
});

// Features for feature maps: node features and pooled tokens of shipped detectors (stage 1
// and a stage-2 teacher) equal the models' own outputs face by face, in batches of any
// size, with no tensor left; held-out faces are masked as the one-face view masks them.
import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAE_PRESETS } from "../../../src/lib/config.js";
import { normalizeImages } from "../../../src/lib/data/normalize.js";
import { heldOutFaces } from "../../../src/lib/data/page-dataset.js";
import { heldOutFace } from "../../../src/lib/eval/face-predictions.js";
import { parseOcclusion } from "../../../src/lib/masks/spec.js";
import type { Detector } from "../../../src/lib/models/detector.js";
import { loadDetector } from "../../../src/lib/models/detector-checkpoint.js";
import { loadMae } from "../../../src/lib/models/mae-checkpoint.js";
import type { Mae } from "../../../src/lib/models/mae.js";
import { allNodeFeatures, auNodeFeatures, detectorFeatures, featureFaces, pooledTokenFeatures } from "../../../src/lib/project/features.js";
import { initNodeBackend } from "../../../src/lib/tf/node.js";

const { imgSize: size, patchSize: patch } = MAE_PRESETS.tiny;
const read = (name: string) => new Uint8Array(readFileSync(`src/checkpoints/${name}`));
let clean: Detector;
let teacher: Detector;
let mae: Mae;

beforeAll(async () => {
  await initNodeBackend("wasm");
  clean = loadDetector(read("detector-tiny-clean.safetensors")).detector;
  teacher = loadDetector(read("teacher-tiny-mefl-random0.5.safetensors")).detector;
  mae = loadMae(read("mae-tiny.safetensors")).mae;
});
afterAll(() => {
  for (const m of [clean, teacher, mae]) m?.dispose();
});

describe("featureFaces", () => {
  it("masks each held-out face as the one-face view does, with labels, subjects and composites", async () => {
    const faces = heldOutFaces(size, 2);
    const occlusion = parseOcclusion("random:0.5:2");
    const progress: number[] = [];
    const f = await featureFaces(faces, occlusion, patch, mae, { count: 5, batch: 2, onProgress: (done) => void progress.push(done) });
    expect(progress).toEqual([2, 4, 5]);
    expect(f).toMatchObject({ count: 5, size, occlusion: "random:0.5:2", aus: faces.aus });
    const ib = size * size * 3;
    for (let i = 0; i < 5; i++) {
      const shown = heldOutFace(faces, i, occlusion, patch);
      expect(f.clean.subarray(i * ib, (i + 1) * ib)).toEqual(shown.face);
      expect(f.occluded.subarray(i * ib, (i + 1) * ib)).toEqual(shown.occluded);
      expect(Array.from(f.labels.subarray(i * 12, (i + 1) * 12))).toEqual(Array.from(shown.labels));
      expect(f.subjects[i]).toBe(shown.subject);
      expect(f.occludedFraction[i]).toBeCloseTo(shown.masks.removed / (size / patch) ** 2, 6);
    }
    expect(f.composites.length).toBe(5 * ib);
    // Composites keep the visible pixels.
    const first = heldOutFace(faces, 0, occlusion, patch);
    for (let p = 0; p < size * size; p++) if (!first.masks.pixelMask[p]) expect(Math.abs(f.composites[p * 3] - first.face[p * 3])).toBeLessThanOrEqual(1);
    const none = await featureFaces(faces, occlusion, patch, null, { count: 2 });
    expect(none.composites.length).toBe(0);
    expect(none.faceOcclusions).toEqual(["random:0.5:2", "random:0.5:2"]);
  });

  it("cycles the faces through a list of occlusions, each face masked as the one-face view masks it under its own", async () => {
    const faces = heldOutFaces(size, 2);
    const occlusions = ["random:0.2", "block:0.4", "region:eyes"].map((o) => parseOcclusion(o));
    const f = await featureFaces(faces, occlusions, patch, null, { count: 5, fill: "black" });
    expect(f.faceOcclusions).toEqual(["random:0.2", "block:0.4", "region:eyes", "random:0.2", "block:0.4"]);
    expect(f.occlusion).toBe("random:0.2, block:0.4, region:eyes");
    const ib = size * size * 3;
    for (let i = 0; i < 5; i++) {
      const shown = heldOutFace(faces, i, occlusions[i % 3], patch, "black");
      expect(f.occluded.subarray(i * ib, (i + 1) * ib)).toEqual(shown.occluded);
      expect(f.occludedFraction[i]).toBeCloseTo(shown.masks.removed / (size / patch) ** 2, 6);
    }
    expect(new Set(Array.from(f.occludedFraction.subarray(0, 3))).size).toBe(3);
    await expect(featureFaces(faces, [], patch, null)).rejects.toThrow(/at least one occlusion/);
  });
});

describe("detectorFeatures", () => {
  it("equals forward(...).nodeFeatures and the mean of forwardFeatures, for ANFL and MEFL detectors, in any batch size", async () => {
    const faces = heldOutFaces(size, 2);
    const count = 5;
    const images = faces.images(count);
    for (const detector of [clean, teacher]) {
      const { data, shape } = normalizeImages(images, size);
      const [nodes, pooled, prob] = tf.tidy(() => {
        const x = tf.tensor4d(data, shape);
        const out = detector.forward(x);
        return [out.nodeFeatures, tf.mean(detector.forwardFeatures(x), 1), out.prob];
      });
      const expected = { nodes: await nodes.data(), tokens: await pooled.data(), probs: await prob.data() };
      tf.dispose([nodes, pooled, prob]);
      const before = tf.memory().numTensors;
      const progress: number[] = [];
      const f = await detectorFeatures(detector, images, { batch: 2, onProgress: (done) => void progress.push(done) });
      expect(tf.memory().numTensors).toBe(before);
      expect(progress).toEqual([2, 4, 5]);
      const N = detector.config.numClasses;
      const C = detector.config.inChannels;
      expect(f).toMatchObject({ count, numAus: N, nodeChannels: C, tokenChannels: detector.backbone.outChannels });
      for (const key of ["nodes", "tokens", "probs"] as const) {
        expect(f[key].length, key).toBe(expected[key].length);
        f[key].forEach((v, i) => expect(Math.abs(v - expected[key][i]), `${detector.config.head} ${key} ${i}`).toBeLessThan(1e-5));
      }
      // Selections of them.
      const au3 = auNodeFeatures(f, 3);
      expect(au3).toMatchObject({ n: count, d: C });
      expect(Array.from(au3.data.subarray(C, 2 * C))).toEqual(Array.from(f.nodes.subarray((N + 3) * C, (N + 4) * C)));
      expect(allNodeFeatures(f)).toMatchObject({ n: count, d: N * C });
      expect(pooledTokenFeatures(f)).toMatchObject({ n: count, d: f.tokenChannels });
      expect(() => auNodeFeatures(f, N)).toThrow(/does not exist/);
    }
    await expect(detectorFeatures(clean, new Uint8Array(10))).rejects.toThrow(/whole number/);
  });
});

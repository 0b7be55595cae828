// The Teacher page's agreement over all held-out faces: each face counted exactly as the
// one-face view predicts it, scores as the official counting, no tensor left behind.
import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAE_PRESETS } from "../../../src/lib/config.js";
import { heldOutFaces } from "../../../src/lib/data/page-dataset.js";
import { AuConfusion } from "../../../src/lib/eval/f1.js";
import { facePredictions, heldOutFace } from "../../../src/lib/eval/face-predictions.js";
import { heldOutAgreement } from "../../../src/lib/eval/held-out-agreement.js";
import { CONDITIONS } from "../../../src/lib/eval/table2.js";
import { parseOcclusion } from "../../../src/lib/masks/spec.js";
import { loadDetector } from "../../../src/lib/models/detector-checkpoint.js";
import { loadMae } from "../../../src/lib/models/mae-checkpoint.js";
import { initNodeBackend } from "../../../src/lib/tf/node.js";

const { imgSize: size, patchSize: patch } = MAE_PRESETS.tiny;
const read = (name: string) => new Uint8Array(readFileSync(`src/checkpoints/${name}`));
let models: Parameters<typeof heldOutAgreement>[0];

beforeAll(async () => {
  await initNodeBackend("wasm");
  models = {
    clean: loadDetector(read("detector-tiny-clean.safetensors")).detector,
    teacher: loadDetector(read("teacher-tiny-random0.5.safetensors")).detector,
    mae: loadMae(read("mae-tiny.safetensors")).mae,
  };
});
afterAll(() => {
  if (models) for (const m of Object.values(models)) m.dispose();
});

describe("heldOutAgreement", () => {
  it("counts every face as the one-face view predicts it, in batches of any size", async () => {
    const faces = heldOutFaces(size, 3);
    const count = 7;
    for (const text of ["random:0.5:2", "block:0.3:0.5:0.5"]) {
      const occlusion = parseOcclusion(text);
      // The one-face view, face by face.
      const expected = Object.fromEntries(CONDITIONS.map((c) => [c, new AuConfusion(faces.aus.length)]));
      for (let i = 0; i < count; i++) {
        const shown = heldOutFace(faces, i, occlusion, patch);
        const p = await facePredictions(models, shown.face, shown.masks);
        for (const c of CONDITIONS) expected[c].add(p.probs[c], shown.labels);
      }
      const before = tf.memory().numTensors;
      const progress: number[] = [];
      const got = await heldOutAgreement(models, faces, occlusion, patch, { count, batch: 3, onProgress: (done) => void progress.push(done) });
      expect(tf.memory().numTensors).toBe(before);
      expect(progress).toEqual([3, 6, 7]);
      expect(got.faces).toBe(count);
      expect(got.occlusion).toBe(text);
      expect(got.aus).toEqual(faces.aus);
      for (const c of CONDITIONS) {
        expect(got.conditions[c].counts, `${text} ${c}`).toEqual(expected[c].table());
        const scores = expected[c].scores();
        expect(got.conditions[c].meanF1).toBeCloseTo(scores.meanF1, 12);
        expect(got.conditions[c].rightPerFace).toBeCloseTo(scores.meanAcc * faces.aus.length, 12);
        expect(got.conditions[c].allRight).toBeGreaterThanOrEqual(0);
        expect(got.conditions[c].allRight).toBeLessThanOrEqual(count);
      }
    }
  });

  it("scores all held-out faces by default", async () => {
    const faces = heldOutFaces(size, 1);
    const got = await heldOutAgreement(models, faces, parseOcclusion("random:0.5:1"), patch);
    expect(got.faces).toBe(faces.frames.length);
    const total = got.conditions["(a)"].counts[0].reduce((a, v) => a + v, 0);
    expect(total).toBe(faces.frames.length);
  });
});

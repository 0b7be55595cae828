// The page-sized occlusion sweep: each model reads its own input (occluded faces or MAE
// composites) of the same masked faces, and its per-AU F1 at each occlusion equals the
// official count over those faces' predictions.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAE_PRESETS } from "../../../src/lib/config.js";
import { heldOutFaces } from "../../../src/lib/data/page-dataset.js";
import { predictImages } from "../../../src/lib/eval/evaluate.js";
import { AuConfusion } from "../../../src/lib/eval/f1.js";
import { heldOutSweep } from "../../../src/lib/eval/held-out-sweep.js";
import { parseOcclusion } from "../../../src/lib/masks/spec.js";
import type { Detector } from "../../../src/lib/models/detector.js";
import { loadDetector } from "../../../src/lib/models/detector-checkpoint.js";
import { loadMae } from "../../../src/lib/models/mae-checkpoint.js";
import type { Mae } from "../../../src/lib/models/mae.js";
import { featureFaces } from "../../../src/lib/project/features.js";
import { initNodeBackend } from "../../../src/lib/tf/node.js";
import * as tf from "@tensorflow/tfjs-core";

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

describe("heldOutSweep", () => {
  it("scores each model on its own input of the same faces at each occlusion, with progress and no tensor left", async () => {
    const faces = heldOutFaces(size, 1);
    const occlusions = ["random:0.3", "block:0.2"];
    const before = tf.memory().numTensors;
    const progress: string[] = [];
    const sweep = await heldOutSweep(
      [
        { condition: "(b)", model: "clean detector", ckpt: "c", input: "occluded", detector: clean },
        { condition: "(d)", model: "teacher", ckpt: "t", input: "composite", detector: teacher },
      ],
      faces,
      occlusions,
      patch,
      { mae, count: 6, fill: "black", batch: 4, onProgress: (done, total, what) => void progress.push(`${done}/${total} ${what}`) },
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(progress).toEqual(["1/6 faces under random:0.3", "2/6 clean detector under random:0.3", "3/6 teacher under random:0.3", "4/6 faces under block:0.2", "5/6 clean detector under block:0.2", "6/6 teacher under block:0.2"]);
    expect(sweep).toMatchObject({ faces: 6, fill: "black", aus: faces.aus, occlusions });
    expect(sweep.points.map((p) => `${p.condition} ${p.occlusion}`)).toEqual(["(b) random:0.3", "(b) block:0.2", "(d) random:0.3", "(d) block:0.2"]);
    // The same count from the faces themselves: occluded faces for (b), composites for (d).
    const f = await featureFaces(faces, parseOcclusion("block:0.2"), patch, mae, { count: 6, fill: "black" });
    const expectB = new AuConfusion(12).add(await predictImages(clean, f.occluded, size), f.labels).scores();
    const expectD = new AuConfusion(12).add(await predictImages(teacher, f.composites, size), f.labels).scores();
    expect(sweep.points[1].f1).toEqual(expectB.f1);
    expect(sweep.points[1].meanF1).toBe(expectB.meanF1);
    expect(sweep.points[3].f1).toEqual(expectD.f1);
    // Reading the other input gives other scores (the test can tell the inputs apart).
    const wrong = new AuConfusion(12).add(await predictImages(teacher, f.occluded, size), f.labels).scores();
    expect(wrong.f1).not.toEqual(expectD.f1);
  });

  it("makes the same composites under every fill (the MAE reads the visible patches only); the occluded faces differ", async () => {
    const faces = heldOutFaces(size, 1);
    const occlusion = parseOcclusion("region:eyes");
    const gray = await featureFaces(faces, occlusion, patch, mae, { count: 4, fill: "gray" });
    for (const fill of ["black", "noise", "mean", "hand"] as const) {
      const other = await featureFaces(faces, occlusion, patch, mae, { count: 4, fill });
      expect(other.composites, fill).toEqual(gray.composites);
      expect(other.occluded, fill).not.toEqual(gray.occluded);
    }
  });

  it("needs the MAE for composite readers, models of the faces' AUs and something to sweep", async () => {
    const faces = heldOutFaces(size, 1);
    const m = { condition: "(d)", model: "teacher", ckpt: "t", input: "composite" as const, detector: teacher };
    await expect(heldOutSweep([m], faces, ["random:0.5"], patch)).rejects.toThrow(/needs the MAE/);
    await expect(heldOutSweep([], faces, ["random:0.5"], patch)).rejects.toThrow(/at least one model/);
    await expect(heldOutSweep([m], faces, [], patch, { mae })).rejects.toThrow(/at least one occlusion/);
  });
});

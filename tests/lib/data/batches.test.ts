import { beforeAll, describe, expect, it } from "vitest";
import { MAE_PRESETS } from "../../../src/lib/config.js";
import { flipHorizontal } from "../../../src/lib/data/augment.js";
import { batchIndicesAt, pairedBatch, pairedBatchAt, type PairedBatch } from "../../../src/lib/data/batches.js";
import { foldSplit } from "../../../src/lib/data/folds.js";
import type { FrameImages } from "../../../src/lib/data/frames.js";
import { generateFaceDataset } from "../../../src/lib/data/generate.js";
import { buildComposites } from "../../../src/lib/eval/composites.js";
import { variantKey } from "../../../src/lib/masks/keys.js";
import { occludeImages } from "../../../src/lib/masks/occlude.js";
import { occlusionPatchMasks, parseOcclusion, type OcclusionSpec } from "../../../src/lib/masks/spec.js";
import { createDetector, detectorConfig } from "../../../src/lib/models/detector.js";
import { createMae } from "../../../src/lib/models/mae.js";
import { DetectorTrainTask } from "../../../src/lib/train/detector-task.js";
import { useBackend } from "../tf/backends.js";

// 32 px faces, 8 px patches: a 4 x 4 patch grid.
const SIZE = 32;
const PATCH = 8;
const GRID = SIZE / PATCH;
const L = GRID * GRID;
const IB = SIZE * SIZE * 3;
const VARIANTS = 3;
const dataset = generateFaceDataset({ preset: "bp4d", seed: 3, subjects: 6, sequencesPerSubject: 1, framesPerSequence: 4, size: SIZE });
const { train } = foldSplit(dataset, 0);

const image = (images: Uint8Array, j: number) => images.subarray(j * IB, (j + 1) * IB);
const mirrorMask = (m: ArrayLike<number>) => Array.from({ length: L }, (_, l) => m[Math.floor(l / GRID) * GRID + (GRID - 1 - (l % GRID))]);
/** Whether pixel (x, y) lies in a removed patch of mask m. */
const removedAt = (m: ArrayLike<number>, x: number, y: number) => m[Math.floor(y / PATCH) * GRID + Math.floor(x / PATCH)] === 1;
/** The patches (by index) where two images differ in any byte. */
function changedPatches(a: Uint8Array, b: Uint8Array): number[] {
  const out = new Array<number>(L).fill(0);
  for (let p = 0; p < SIZE * SIZE; p++) {
    const i = p * 3;
    if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) out[Math.floor(Math.floor(p / SIZE) / PATCH) * GRID + Math.floor((p % SIZE) / PATCH)] = 1;
  }
  return out;
}

describe("paired batches (clean, occluded, composite of the same faces, masks and flips)", () => {
  // Composites of the training frames by a (randomly initialised) MAE, one set per variant.
  const composites = new Map<string, FrameImages[]>();
  const occlusions = ["random:0.5", "block:0.3", "random:0.3:5"];
  beforeAll(async () => {
    await useBackend("cpu");
    const mae = createMae({ ...MAE_PRESETS.tiny, imgSize: SIZE, patchSize: PATCH }, { seed: 2 });
    for (const text of occlusions) {
      const sets: FrameImages[] = [];
      for (let v = 0; v < VARIANTS; v++) sets.push(await buildComposites(mae, dataset, train, parseOcclusion(text), { variant: v }));
      composites.set(text, sets);
    }
    mae.dispose();
  }, 300_000);

  /** Checks properties (1)-(3) of every image of a batch. */
  function checkPairing(b: PairedBatch, spec: OcclusionSpec, sets: FrameImages[]) {
    for (let j = 0; j < b.frames.length; j++) {
      const f = b.frames[j];
      const flip = b.flipped[j] === 1;
      const cached = sets[b.variants[j]].get(f);
      const face = dataset.images.subarray(f * IB, (f + 1) * IB);
      const m = Array.from(b.masks.subarray(j * L, (j + 1) * L));
      // The mask is the composite variant's, mirrored with the images.
      const own = occlusionPatchMasks(spec, [variantKey(f, b.variants[j])], GRID, PATCH);
      expect(m, `mask of image ${j}`).toEqual(flip ? mirrorMask(own) : Array.from(own));
      const clean = image(b.clean, j);
      const occluded = image(b.occluded, j);
      const composite = image(b.composite!, j);
      expect(Buffer.from(clean).equals(Buffer.from(flip ? flipHorizontal(face, SIZE) : face))).toBe(true);
      const cachedHere = flip ? flipHorizontal(cached, SIZE) : cached;
      for (let y = 0; y < SIZE; y++) {
        for (let x = 0; x < SIZE; x++) {
          const i = (y * SIZE + x) * 3;
          const px = (img: Uint8Array) => [img[i], img[i + 1], img[i + 2]];
          if (removedAt(m, x, y)) {
            // (2) removed pixels of the composite are the cached composite's; the occluded image shows the fill.
            expect(px(composite)).toEqual(px(cachedHere));
            expect(px(occluded)).toEqual([0, 0, 0]);
          } else {
            // (1), (2) visible pixels of the occluded image and the composite are the clean face's.
            expect(px(occluded)).toEqual(px(clean));
            expect(px(composite)).toEqual(px(clean));
          }
        }
      }
      // (3) the occluded image and the composite differ from the clean face in exactly the removed patches.
      expect(changedPatches(occluded, clean), `occluded ${j}`).toEqual(m);
      expect(changedPatches(composite, clean), `composite ${j}`).toEqual(m);
    }
  }

  it("pairs every image under explicit variants and flips", () => {
    for (const text of occlusions) {
      const spec = parseOcclusion(text);
      const sets = composites.get(text)!;
      const frames = [train[0], train[1], train[2], train[0], train[5], train[7]];
      const b = pairedBatch(dataset, frames, { occlusion: spec, patch: PATCH, fill: "black", composites: sets, variantOf: (j) => j % VARIANTS, flipOf: (j) => j % 2 === 1 });
      expect(Array.from(b.variants)).toEqual([0, 1, 2, 0, 1, 2]);
      expect(Array.from(b.flipped)).toEqual([0, 1, 0, 1, 0, 1]);
      expect(b.labels.length).toBe(frames.length * dataset.aus.length);
      checkPairing(b, spec, sets);
      // The same frame under the same variant, flipped or not: one mask, mirrored.
      expect(Array.from(b.masks.subarray(3 * L, 4 * L))).toEqual(mirrorMask(b.masks.subarray(0, L)));
      // Variant 0 is the evaluation's mask (keyed by the frame index).
      expect(Array.from(b.masks.subarray(0, L))).toEqual(Array.from(occlusionPatchMasks(spec, [frames[0]], GRID, PATCH)));
    }
  });

  it("flips after occluding: flip(occlude(x, m)) pairs with flip(composite(x, m))", () => {
    const spec = parseOcclusion("block:0.3");
    const sets = composites.get("block:0.3")!;
    const frames = [train[3], train[4]];
    const plain = pairedBatch(dataset, frames, { occlusion: spec, patch: PATCH, fill: "noise", fillSeed: 9, composites: sets, variantOf: () => 1 });
    const flipped = pairedBatch(dataset, frames, { occlusion: spec, patch: PATCH, fill: "noise", fillSeed: 9, composites: sets, variantOf: () => 1, flipOf: () => true });
    for (let j = 0; j < frames.length; j++) {
      for (const k of ["clean", "occluded", "composite"] as const) {
        expect(Buffer.from(image(flipped[k]!, j)).equals(Buffer.from(flipHorizontal(image(plain[k]!, j), SIZE))), `${k} ${j}`).toBe(true);
      }
      expect(Array.from(flipped.masks.subarray(j * L, (j + 1) * L))).toEqual(mirrorMask(plain.masks.subarray(j * L, (j + 1) * L)));
    }
    // The occluded images are occludeImages' (fill seed included) before the flip.
    const again = occludeImages(plain.clean, SIZE, plain.masks, PATCH, "noise", 9);
    expect(Buffer.from(again).equals(Buffer.from(plain.occluded))).toBe(true);
  });

  it("is a function of (seed, step), paired under the step's variants and flips", () => {
    const spec = parseOcclusion("random:0.5");
    const sets = composites.get("random:0.5")!;
    const options = { occlusion: spec, patch: PATCH, fill: "black" as const, composites: sets, batchSize: 7, seed: 4 };
    const a = pairedBatchAt(dataset, train, 3, options);
    const b = pairedBatchAt(dataset, train, 3, options);
    for (const k of ["frames", "labels", "variants", "flipped", "masks", "clean", "occluded", "composite"] as const) expect(b[k], k).toEqual(a[k]);
    expect(Array.from(a.frames)).toEqual(Array.from(batchIndicesAt(train, 7, 4, 3)));
    checkPairing(a, spec, sets);
    const other = pairedBatchAt(dataset, train, 4, options);
    expect(Buffer.from(other.clean).equals(Buffer.from(a.clean))).toBe(false);
    const otherSeed = pairedBatchAt(dataset, train, 3, { ...options, seed: 5 });
    expect(Buffer.from(otherSeed.clean).equals(Buffer.from(a.clean))).toBe(false);
    // Over a few steps both flips and every variant occur.
    const steps = [0, 1, 2, 3, 4, 5].map((s) => pairedBatchAt(dataset, train, s, options));
    expect(new Set(steps.flatMap((s) => Array.from(s.flipped))).size).toBe(2);
    expect(new Set(steps.flatMap((s) => Array.from(s.variants))).size).toBe(VARIANTS);
    for (const s of steps) checkPairing(s, spec, sets);
  });

  it("gives at step t the faces, variants and flips a detector task with the same seed reads", () => {
    const spec = parseOcclusion("block:0.3");
    const sets = composites.get("block:0.3")!;
    const cfg = detectorConfig("tiny", { head: "anfl", numClasses: dataset.aus.length, imgSize: SIZE });
    for (const input of ["composite", "clean"] as const) {
      const det = createDetector(cfg, { seed: 1 });
      const condition = { input, occlusion: input === "clean" ? parseOcclusion("none") : spec, patch: PATCH };
      const task = new DetectorTrainTask(det, dataset, train, { batchSize: 6, seed: 8, condition, composites: sets });
      for (const step of [0, 1, 5]) {
        const got = task.inputs(step);
        const paired = pairedBatchAt(dataset, train, step, { occlusion: spec, patch: PATCH, composites: sets, batchSize: 6, seed: 8 });
        expect(Array.from(paired.frames)).toEqual(Array.from(got.frames));
        expect(Buffer.from(input === "clean" ? paired.clean : paired.composite!).equals(Buffer.from(got.images)), `${input} step ${step}`).toBe(true);
        expect(Array.from(paired.labels)).toEqual(Array.from(got.labels));
      }
      task.dispose();
      det.dispose();
    }
  });

  it("works without composites and says what is missing", () => {
    const spec = parseOcclusion("random:0.5");
    const b = pairedBatch(dataset, [train[0], train[1]], { occlusion: spec, patch: PATCH, variantOf: (j) => j });
    expect(b.composite).toBeUndefined();
    expect(Array.from(b.masks.subarray(L, 2 * L))).toEqual(Array.from(occlusionPatchMasks(spec, [variantKey(train[1], 1)], GRID, PATCH)));
    const sets = composites.get("random:0.5")!;
    expect(() => pairedBatch(dataset, [train[0]], { occlusion: spec, patch: PATCH, composites: sets, variantOf: () => VARIANTS })).toThrow(/no composites of variant 3 \(3 variants were prepared\)/);
    expect(() => pairedBatch(dataset, [train[0]], { occlusion: spec, patch: 5 })).toThrow(/not a multiple of the patch size/);
    expect(() => pairedBatch(dataset, [train[0]], { occlusion: spec, patch: PATCH, variantOf: () => -1 })).toThrow(/integers >= 0/);
  });
});

import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { augmentImage, flipHorizontal } from "../../../src/lib/data/augment.js";
import { batches, epochOrder } from "../../../src/lib/data/batches.js";
import { cachedFaceDataset, memoryDatasetCache } from "../../../src/lib/data/cache.js";
import { nodeDatasetCache } from "../../../src/lib/data/cache-node.js";
import { imageAt, subsetDataset, validateDataset, type AUDataset } from "../../../src/lib/data/dataset.js";
import { assignSubjectFolds, foldSplit, subjectsByFold } from "../../../src/lib/data/folds.js";
import { generateFaceDataset } from "../../../src/lib/data/generate.js";
import { fnv1a64 } from "../../../src/lib/data/hash.js";
import { IMAGENET_MEAN, IMAGENET_STD, denormalizeImages, normalizeImages } from "../../../src/lib/data/normalize.js";
import { Rng } from "../../../src/lib/data/prng.js";
import { auBoxes, boxMask, occludeBoxes } from "../../../src/lib/data/regions.js";
import { resizeRGB } from "../../../src/lib/data/resize.js";
import { deserializeDataset, serializeDataset } from "../../../src/lib/data/serialize.js";
import { baseRates, summarizeDataset, formatSummary } from "../../../src/lib/data/summary.js";
import { imagesToTensor, labelsToTensor } from "../../../src/lib/data/tensor.js";

const cfg = { preset: "bp4d" as const, subjects: 6, sequencesPerSubject: 2, framesPerSequence: 3, size: 24, seed: 3 };
let ds: AUDataset;

beforeAll(() => {
  ds = generateFaceDataset(cfg);
});

describe("folds", () => {
  it("splits subjects exclusively and every frame is tested exactly once", () => {
    const byFold = subjectsByFold(ds);
    const all = byFold.flat();
    expect(new Set(all).size).toBe(all.length);
    let tested = 0;
    for (let k = 0; k < 3; k++) {
      const { train, test } = foldSplit(ds, k);
      expect(train.length + test.length).toBe(ds.subject.length);
      const testSubjects = new Set(Array.from(test, (i) => ds.subject[i]));
      for (const i of train) expect(testSubjects.has(ds.subject[i])).toBe(false);
      tested += test.length;
    }
    expect(tested).toBe(ds.subject.length);
    expect(() => foldSplit(ds, 3)).toThrow(/out of range/);
  });

  it("assigns near-equal subject counts and detects a subject in two folds", () => {
    const f = assignSubjectFolds(Array.from({ length: 10 }, (_, i) => `S${i}`), 3, 1);
    const counts = [0, 1, 2].map((k) => f.filter((x) => x === k).length).sort();
    expect(counts).toEqual([3, 3, 4]);
    const broken = { ...ds, fold: ds.fold.slice() };
    broken.fold[0] = (broken.fold[0] + 1) % 3;
    expect(() => subjectsByFold(broken)).toThrow(/appears in folds/);
  });
});

describe("batches", () => {
  it("covers the given frames once per epoch, reproducibly, in a new order each epoch", () => {
    const { train } = foldSplit(ds, 0);
    const seen: number[] = [];
    for (const b of batches(ds, train, { batchSize: 5, seed: 1 })) {
      expect(b.images.length).toBe(b.indices.length * 24 * 24 * 3);
      expect(b.labels.length).toBe(b.indices.length * ds.aus.length);
      for (let j = 0; j < b.indices.length; j++) {
        expect(Buffer.from(b.images.subarray(j * 1728, (j + 1) * 1728)).equals(Buffer.from(imageAt(ds, b.indices[j])))).toBe(true);
      }
      seen.push(...b.indices);
    }
    expect(seen.slice().sort((a, b) => a - b)).toEqual(Array.from(train));
    expect(Array.from(epochOrder(train, 1, 0))).toEqual(seen);
    expect(Array.from(epochOrder(train, 1, 1))).not.toEqual(seen);
    const dropped = [...batches(ds, train, { batchSize: 5, seed: 1, dropLast: true })];
    expect(dropped.every((b) => b.indices.length === 5)).toBe(true);
  });

  it("augments reproducibly from the seed", () => {
    const a = [...batches(ds, null, { batchSize: 8, seed: 4, augment: {} })];
    const b = [...batches(ds, null, { batchSize: 8, seed: 4, augment: {} })];
    const plain = [...batches(ds, null, { batchSize: 8, seed: 4 })];
    expect(fnv1a64(a[0].images)).toBe(fnv1a64(b[0].images));
    expect(fnv1a64(a[0].images)).not.toBe(fnv1a64(plain[0].images));
  });
});

describe("augmentation", () => {
  it("flips twice back to the original and mirrors pixels", () => {
    const img = imageAt(ds, 0);
    const f = flipHorizontal(img, 24);
    expect(Array.from(f.subarray(0, 3))).toEqual(Array.from(img.subarray(23 * 3, 24 * 3)));
    expect(Buffer.from(flipHorizontal(f, 24)).equals(Buffer.from(img))).toBe(true);
  });

  it("crop without flip at scale 1 is the identity; smaller crops change the image", () => {
    const img = imageAt(ds, 1);
    expect(Buffer.from(augmentImage(img, 24, new Rng(1), { cropScale: [1, 1], flip: 0 })).equals(Buffer.from(img))).toBe(true);
    const c = augmentImage(img, 24, new Rng(1), { cropScale: [0.6, 0.6], flip: 0 });
    expect(c.length).toBe(img.length);
    expect(Buffer.from(c).equals(Buffer.from(img))).toBe(false);
    expect(() => augmentImage(img, 24, new Rng(1), { cropScale: [0, 1] })).toThrow(/cropScale/);
  });
});

describe("normalisation", () => {
  it("applies the ImageNet mean and std and inverts", () => {
    const px = new Uint8Array([255, 0, 128]);
    const { data, shape } = normalizeImages(px, 1);
    expect(shape).toEqual([1, 1, 1, 3]);
    expect(data[0]).toBeCloseTo((1 - IMAGENET_MEAN[0]) / IMAGENET_STD[0], 5);
    expect(data[1]).toBeCloseTo(-IMAGENET_MEAN[1] / IMAGENET_STD[1], 5);
    expect(data[2]).toBeCloseTo((128 / 255 - IMAGENET_MEAN[2]) / IMAGENET_STD[2], 5);
    expect(Array.from(denormalizeImages(data))).toEqual([255, 0, 128]);
    expect(() => normalizeImages(new Uint8Array(5), 1)).toThrow(/whole number/);
  });

  it("makes tensors of the right shape without leaking", async () => {
    await tf.setBackend("cpu");
    const before = tf.memory().numTensors;
    const x = imagesToTensor(ds.images.subarray(0, 2 * 1728), 24);
    const y = labelsToTensor(ds.labels.subarray(0, 2 * 12), 12);
    expect(x.shape).toEqual([2, 24, 24, 3]);
    expect(y.shape).toEqual([2, 12]);
    x.dispose();
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("regions", () => {
  it("occludes an AU's boxes on both sides with grey and leaves the rest", () => {
    const boxes = auBoxes(12);
    expect(boxes.length).toBe(2);
    expect(boxes[0].x1).toBeLessThanOrEqual(0.5);
    expect(boxes[1].x0).toBeGreaterThanOrEqual(0.5);
    const mask = boxMask(24, boxes);
    const occ = occludeBoxes(imageAt(ds, 0), 24, boxes);
    let inside = 0;
    for (let p = 0; p < 24 * 24; p++) {
      if (mask[p]) {
        inside++;
        expect(Array.from(occ.subarray(p * 3, p * 3 + 3))).toEqual([124, 116, 104]);
      } else {
        expect(Array.from(occ.subarray(p * 3, p * 3 + 3))).toEqual(Array.from(imageAt(ds, 0).subarray(p * 3, p * 3 + 3)));
      }
    }
    expect(inside).toBeGreaterThan(10);
    expect(() => auBoxes(3)).toThrow(/no region/);
  });
});

describe("resize", () => {
  it("averages areas exactly when shrinking by an integer factor", () => {
    // 2x2 -> 1x1: the mean of four pixels.
    const src = new Uint8Array([0, 0, 0, 100, 100, 100, 200, 200, 200, 40, 40, 40]);
    expect(Array.from(resizeRGB(src, 2, 2, 1, 1, "area"))).toEqual([85, 85, 85]);
    const flat = new Uint8Array(10 * 6 * 3).fill(77);
    expect(resizeRGB(flat, 10, 6, 4, 4, "bilinear").every((v) => v === 77)).toBe(true);
  });
});

describe("serialisation and caches", () => {
  it("round-trips a dataset and detects damage", () => {
    const bytes = serializeDataset(ds);
    const back = deserializeDataset(bytes);
    validateDataset(back);
    expect(fnv1a64(back.images)).toBe(fnv1a64(ds.images));
    expect(Array.from(back.fold)).toEqual(Array.from(ds.fold));
    expect(Array.from(back.sequence)).toEqual(Array.from(ds.sequence));
    expect(back.subjects).toEqual(ds.subjects);
    expect(Array.from(back.intensities!)).toEqual(Array.from(ds.intensities!));
    const damaged = bytes.slice();
    damaged[200] ^= 1;
    expect(() => deserializeDataset(damaged)).toThrow(/checksum/);
    expect(() => deserializeDataset(new Uint8Array(40))).toThrow(/magic/);
  });

  it("keeps subsets consistent", () => {
    const sub = subsetDataset(ds, [5, 0]);
    validateDataset(sub);
    expect(Buffer.from(imageAt(sub, 0)).equals(Buffer.from(imageAt(ds, 5)))).toBe(true);
    expect(baseRates(sub).length).toBe(12);
  });

  it("generates once and then reads from the cache (memory)", async () => {
    const cache = memoryDatasetCache();
    const first = await cachedFaceDataset(cfg, cache);
    const second = await cachedFaceDataset(cfg, cache);
    expect(first.fromCache).toBe(false);
    expect(second.fromCache).toBe(true);
    expect(fnv1a64(second.dataset.images)).toBe(fnv1a64(ds.images));
    expect(cache.keys()).toEqual([first.key]);
  });

  it("storage full or unreadable: the faces are generated and used, and the problem is reported", async () => {
    const warnings: string[] = [];
    const full = { ...memoryDatasetCache(), put: async () => Promise.reject(new DOMException("The quota has been exceeded.", "QuotaExceededError")) };
    const got = await cachedFaceDataset(cfg, full, { warn: (m) => warnings.push(m) });
    expect(fnv1a64(got.dataset.images)).toBe(fnv1a64(ds.images));
    expect(got.cacheError).toBe("QuotaExceededError: The quota has been exceeded.");
    const broken = { ...memoryDatasetCache(), get: async () => Promise.reject(new Error("unreadable")) };
    expect((await cachedFaceDataset(cfg, broken, { warn: (m) => warnings.push(m) })).fromCache).toBe(false);
    expect(warnings).toEqual([
      "the generated faces could not be cached (QuotaExceededError: The quota has been exceeded.): they will be generated again next time",
      "the dataset cache could not be read (unreadable): generating the faces",
    ]);
  });

  describe("on disk (Node)", () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "maskau-cache-"));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it("stores one file per config key and regenerates a damaged entry", async () => {
      const cache = nodeDatasetCache(dir);
      const a = await cachedFaceDataset(cfg, cache);
      expect((await readdir(dir)).filter((f) => f.endsWith(".maskau"))).toEqual([`${a.key}.maskau`]);
      expect((await cachedFaceDataset(cfg, cache)).fromCache).toBe(true);
      await writeFile(join(dir, `${a.key}.maskau`), new Uint8Array(64));
      const again = await cachedFaceDataset(cfg, cache);
      expect(again.fromCache).toBe(false);
      expect(fnv1a64(again.dataset.images)).toBe(fnv1a64(ds.images));
    });
  });
});

describe("summary", () => {
  it("counts frames and subjects per fold and base rates", () => {
    const s = summarizeDataset(ds);
    expect(s.frames).toBe(36);
    expect(s.subjects).toBe(6);
    expect(s.sequences).toBe(12);
    expect(s.folds.reduce((t, f) => t + f.frames, 0)).toBe(36);
    expect(s.folds.map((f) => f.subjects.length)).toEqual([2, 2, 2]);
    const A = ds.aus.length;
    let c = 0;
    for (let i = 0; i < 36; i++) c += ds.labels[i * A];
    expect(s.baseRates[0]).toBeCloseTo(c / 36, 10);
    expect(s.intensityHistogram![0].reduce((a, b) => a + b, 0)).toBe(36);
    expect(formatSummary(s)).toContain("AU12");
  });
});

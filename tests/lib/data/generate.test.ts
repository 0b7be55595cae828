import { describe, expect, it } from "vitest";
import { ALL_AUS, PRESETS } from "../../../src/lib/data/aus.js";
import { validateDataset } from "../../../src/lib/data/dataset.js";
import { subjectsByFold } from "../../../src/lib/data/folds.js";
import {
  datasetIdentities,
  faceConfigKey,
  faceDatasetConfig,
  FaceDatasetBuilder,
  generateFaceDataset,
  renderSequence,
  simulateIntensities,
} from "../../../src/lib/data/generate.js";
import { fnv1a64 } from "../../../src/lib/data/hash.js";
import { conditionalOccurrence } from "../../../src/lib/data/summary.js";

const small = { preset: "bp4d" as const, subjects: 6, sequencesPerSubject: 2, framesPerSequence: 4, size: 32 };

describe("generateFaceDataset", () => {
  it("gives identical bytes for the same seed and different bytes for another seed", () => {
    const a = generateFaceDataset({ ...small, seed: 5 });
    const b = generateFaceDataset({ ...small, seed: 5 });
    const c = generateFaceDataset({ ...small, seed: 6 });
    expect(fnv1a64(a.images)).toBe(fnv1a64(b.images));
    expect(Buffer.from(a.images).equals(Buffer.from(b.images))).toBe(true);
    expect(Buffer.from(a.labels).equals(Buffer.from(b.labels))).toBe(true);
    expect(fnv1a64(a.images)).not.toBe(fnv1a64(c.images));
  });

  it("builds a consistent dataset: shapes, labels from intensities, subject-exclusive folds", () => {
    const ds = generateFaceDataset({ ...small, seed: 2 });
    validateDataset(ds);
    const n = 6 * 2 * 4;
    expect(ds.subject.length).toBe(n);
    expect(ds.images.length).toBe(n * 32 * 32 * 3);
    expect(ds.aus).toEqual(PRESETS.bp4d.aus);
    const A = ds.aus.length;
    for (let i = 0; i < n * A; i++) expect(ds.labels[i]).toBe(ds.intensities![i] >= 1 ? 1 : 0);
    const folds = subjectsByFold(ds);
    expect(folds.map((f) => f.length)).toEqual([2, 2, 2]);
    expect(new Set(folds.flat()).size).toBe(6);
    // Images are not blank: some spread of values in every image.
    for (let i = 0; i < n; i++) {
      const img = ds.images.subarray(i * 32 * 32 * 3, (i + 1) * 32 * 32 * 3);
      let lo = 255;
      let hi = 0;
      for (const v of img) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      expect(hi - lo).toBeGreaterThan(60);
    }
  });

  it("uses the DISFA rule occurrence = intensity >= 2 and DISFA's AUs", () => {
    const ds = generateFaceDataset({ preset: "disfa", subjects: 3, framesPerSequence: 40, size: 16, seed: 3 });
    expect(ds.aus).toEqual([1, 2, 4, 6, 9, 12, 25, 26]);
    const A = ds.aus.length;
    let ones = 0;
    for (let i = 0; i < ds.labels.length; i++) {
      expect(ds.labels[i]).toBe(ds.intensities![i] >= 2 ? 1 : 0);
      if (ds.intensities![i] === 1) ones++;
    }
    expect(ones).toBeGreaterThan(0); // intensity-1 frames exist and are negatives
    expect(ds.subject.length * A).toBe(ds.labels.length);
  });

  it("renders the supported sizes", () => {
    for (const size of [64, 96, 112, 224]) {
      const ds = generateFaceDataset({ ...small, subjects: 3, sequencesPerSubject: 1, framesPerSequence: 1, size });
      expect(ds.images.length).toBe(3 * size * size * 3);
    }
  });

  it("steps in chunks to the same bytes as one call", () => {
    const whole = generateFaceDataset({ ...small, seed: 9 });
    const b = new FaceDatasetBuilder({ ...small, seed: 9 });
    while (!b.finished) b.step(5);
    expect(fnv1a64(b.result().images)).toBe(fnv1a64(whole.images));
    expect(() => new FaceDatasetBuilder(small).result()).toThrow(/not finished/);
  });

  it("keys caches by every config field", () => {
    const k = faceConfigKey(faceDatasetConfig(small));
    expect(faceConfigKey(faceDatasetConfig({ ...small }))).toBe(k);
    expect(faceConfigKey(faceDatasetConfig({ ...small, seed: 2 }))).not.toBe(k);
    expect(faceConfigKey(faceDatasetConfig({ ...small, size: 64 }))).not.toBe(k);
    expect(() => faceDatasetConfig({ subjects: 2 })).toThrow(/subject-exclusive/);
    expect(() => faceDatasetConfig({ size: 8 })).toThrow(/size/);
  });
});

describe("identities", () => {
  it("draws at least 40 distinct identities with varied attributes", () => {
    const ids = datasetIdentities(faceDatasetConfig({ subjects: 41, seed: 1 }));
    expect(new Set(ids.map((i) => i.subject)).size).toBe(41);
    const sig = ids.map((i) => [i.faceRx, i.skin[0], i.hairStyle, i.beard, i.glasses].join("|"));
    expect(new Set(sig).size).toBe(41);
    expect(new Set(ids.map((i) => i.hairStyle)).size).toBeGreaterThanOrEqual(4);
    expect(ids.some((i) => i.glasses !== "none")).toBe(true);
    expect(ids.some((i) => i.beard !== "none")).toBe(true);
    expect(ids.some((i) => (i.rest[4] ?? 0) > 0)).toBe(true);
    const tones = ids.map((i) => i.skin[0] + i.skin[1] + i.skin[2]);
    expect(Math.max(...tones) - Math.min(...tones)).toBeGreaterThan(1);
    expect(ids.filter((i) => i.sex === "F").length).toBeGreaterThan(10);
    expect(ids.filter((i) => i.sex === "M").length).toBeGreaterThan(10);
  });
});

describe("AU statistics (simulated labels, no rendering)", () => {
  const col = (au: number) => (ALL_AUS as readonly number[]).indexOf(au);

  for (const presetName of ["bp4d", "disfa"] as const) {
    it(`${presetName}: base rates are close to the preset's targets`, () => {
      const preset = PRESETS[presetName];
      const sim = simulateIntensities({ preset: presetName, subjects: 60, seed: 11 });
      const AA = ALL_AUS.length;
      for (const au of preset.aus) {
        let c = 0;
        for (let i = 0; i < sim.frames; i++) c += sim.intensities[i * AA + col(au)] >= preset.occurrenceThreshold ? 1 : 0;
        const rate = c / sim.frames;
        const target = preset.baseRates[au]!;
        // Subject-level variation is large; within 35% relative or 0.04 absolute of the target.
        expect(Math.abs(rate - target), `AU${au}: ${rate.toFixed(3)} vs ${target}`).toBeLessThan(Math.max(0.04, 0.35 * target));
      }
    });
  }

  it("co-occur as in real data (6 with 12, 1 with 2, 4 with 7, 17 with 23/24, 25 with 26, rarely 12 with 15)", () => {
    const sim = simulateIntensities({ preset: "bp4d", subjects: 41, seed: 4 });
    const AA = ALL_AUS.length;
    const occ = new Uint8Array(sim.frames * AA);
    for (let i = 0; i < occ.length; i++) occ[i] = sim.intensities[i] >= 1 ? 1 : 0;
    const cond = conditionalOccurrence(occ, AA);
    const rate = (au: number) => {
      let c = 0;
      for (let i = 0; i < sim.frames; i++) c += occ[i * AA + col(au)];
      return c / sim.frames;
    };
    const lift = (a: number, b: number) => cond[col(a)][col(b)] / rate(b);
    expect(lift(12, 6)).toBeGreaterThan(1.2);
    expect(lift(1, 2)).toBeGreaterThan(1.5);
    expect(lift(4, 7)).toBeGreaterThan(1.1);
    expect(lift(17, 23)).toBeGreaterThan(1.2);
    expect(lift(17, 24)).toBeGreaterThan(1.2);
    expect(lift(26, 25)).toBeGreaterThan(1.2);
    expect(lift(12, 15)).toBeLessThan(0.6);
  });

  it("moves smoothly within sequences (neighbouring frames agree more than distant ones)", () => {
    const F = 40;
    const sim = simulateIntensities({ preset: "bp4d", subjects: 12, framesPerSequence: F, seed: 8 });
    const AA = ALL_AUS.length;
    let near = 0;
    let far = 0;
    let pairs = 0;
    for (let s = 0; s < sim.frames / F; s++) {
      for (let t = 0; t + 20 < F; t++) {
        for (let a = 0; a < AA; a++) {
          const x = sim.intensities[(s * F + t) * AA + a];
          near += Math.abs(x - sim.intensities[(s * F + t + 1) * AA + a]);
          far += Math.abs(x - sim.intensities[(s * F + t + 20) * AA + a]);
          pairs++;
        }
      }
    }
    expect(near / pairs).toBeLessThan(0.6 * (far / pairs));
  });
});

describe("renderSequence", () => {
  it("renders one sequence alone with the bytes and labels of the whole dataset's frames", () => {
    const config = { ...small, seed: 3 };
    const ds = generateFaceDataset(config);
    const ib = 32 * 32 * 3;
    const A = ds.aus.length;
    for (const [subject, seq] of [[0, 0], [4, 1], [5, 0]]) {
      const first = (subject * 2 + seq) * 4;
      const r = renderSequence(config, subject, seq);
      expect(r.frames).toBe(4);
      expect(Buffer.from(r.images).equals(Buffer.from(ds.images.subarray(first * ib, (first + 4) * ib))), `subject ${subject} sequence ${seq}`).toBe(true);
      expect(Array.from(r.labels)).toEqual(Array.from(ds.labels.subarray(first * A, (first + 4) * A)));
      expect(Array.from(r.intensities)).toEqual(Array.from(ds.intensities!.subarray(first * A, (first + 4) * A)));
      // The first frames only: the same bytes as the start of the whole sequence.
      const two = renderSequence(config, subject, seq, 2);
      expect(two.frames).toBe(2);
      expect(Buffer.from(two.images).equals(Buffer.from(r.images.subarray(0, 2 * ib)))).toBe(true);
    }
  });

  it("names a subject or sequence the config does not have", () => {
    expect(() => renderSequence(small, 6)).toThrow(/subject 6 is not one of the config's 6 subjects/);
    expect(() => renderSequence(small, 0, 2)).toThrow(/sequence 2 is not one of the 2 sequences/);
  });
});

// The Data page's non-DOM pieces: URL settings, the generator config they map
// to, and the arquero tables behind the summaries and downloads.
import { describe, expect, it } from "vitest";
import { GENERATOR_SETTINGS, settingsConfig } from "../../src/components/data-generator.js";
import { aq, baseRateRows, foldCountRows, labelTable, splitIndices, tableArrow, tableCSV } from "../../src/components/dataset-table.js";
import { generateFaceDataset } from "../../src/lib/data/generate.js";
import { baseRates } from "../../src/lib/data/summary.js";

describe("Data page settings", () => {
  it("reads the URL query with defaults for missing or unreadable values, clamped and whole", () => {
    const read = GENERATOR_SETTINGS.read;
    const defaults = GENERATOR_SETTINGS.defaults;
    expect(read("")).toEqual(defaults);
    expect(read("?preset=disfa&subjects=12&frames=30&seed=7&backend=wasm")).toEqual({ preset: "disfa", subjects: 12, frames: 30, seed: 7 });
    expect(read("?preset=ck&frames=abc")).toEqual(defaults);
    expect(read("?subjects=-3&seed=1.5")).toEqual({ ...defaults, subjects: 3, seed: 2 });
    expect(read("?subjects=100000").subjects).toBe(200);
    expect(GENERATOR_SETTINGS.query({ ...defaults, seed: 4 })).toEqual({ preset: null, subjects: null, frames: null, seed: "4" });
  });

  it("spreads frames per subject over the preset's sequences", () => {
    const b = settingsConfig({ preset: "bp4d", subjects: 40, frames: 16, seed: 3 });
    expect([b.sequencesPerSubject, b.framesPerSequence, b.seed]).toEqual([8, 2, 3]);
    const d = settingsConfig({ preset: "disfa", subjects: 10, frames: 16, seed: 3 });
    expect([d.sequencesPerSubject, d.framesPerSequence]).toEqual([1, 16]);
    const few = settingsConfig({ preset: "bp4d", subjects: 10, frames: 3, seed: 1 });
    expect(few.sequencesPerSubject * few.framesPerSequence).toBe(3);
  });
});

describe("Data page tables (arquero)", () => {
  const ds = generateFaceDataset({ preset: "bp4d", subjects: 6, framesPerSequence: 2, size: 16, seed: 4 });
  const A = ds.aus.length;

  it("has one row per frame with labels and intensities", () => {
    const t = labelTable(ds);
    expect(t.numRows()).toBe(ds.subject.length);
    expect(t.columnNames()).toEqual(["index", "subject", "sequence", "frame", "fold", ...ds.aus.map((a) => `AU${a}`), ...ds.aus.map((a) => `I${a}`)]);
    const row = t.object(5) as Record<string, number | string>;
    expect(row.subject).toBe(ds.subjects[ds.subject[5]]);
    expect(row.fold).toBe(ds.fold[5] + 1);
    expect(row[`AU${ds.aus[3]}`]).toBe(ds.labels[5 * A + 3]);
  });

  it("base rates and fold counts agree with the library's summary", () => {
    const t = labelTable(ds);
    const rows = baseRateRows(t, ds.aus);
    const all = rows.filter((r) => r.group === "all");
    expect(all.map((r) => r.au)).toEqual(ds.aus.map((a) => `AU${a}`));
    all.forEach((r, a) => expect(r.rate).toBeCloseTo(baseRates(ds)[a], 12));
    const folds = foldCountRows(t, ds.aus);
    expect(folds.map((f) => f.fold)).toEqual([1, 2, 3]);
    expect(folds.reduce((s, f) => s + f.frames, 0)).toBe(ds.subject.length);
    expect(folds.map((f) => f.subjects)).toEqual([2, 2, 2]);
  });

  it("splits are subject-exclusive and export as CSV and Arrow", () => {
    const test = splitIndices(ds, { fold: 1, part: "test" });
    const train = splitIndices(ds, { fold: 1, part: "train" });
    expect(test.length + train.length).toBe(ds.subject.length);
    const testSubjects = new Set(test.map((i) => ds.subject[i]));
    expect(train.some((i) => testSubjects.has(ds.subject[i]))).toBe(false);
    const t = labelTable(ds, test);
    const csv = tableCSV(t).trim().split("\n");
    expect(csv.length).toBe(test.length + 1);
    expect(csv[0].split(",")[0]).toBe("index");
    const back = aq.fromArrow(tableArrow(t));
    expect(back.numRows()).toBe(test.length);
    expect(back.array("AU1")).toEqual(t.array("AU1"));
  });
});

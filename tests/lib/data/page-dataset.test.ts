// The pages' dataset and its held-out faces: fold 1 of the default identities, the same
// faces on every page and for every run, never among a page run's training frames.
import { describe, expect, it } from "vitest";
import { datasetSource, memoryDatasetCache } from "../../../src/lib/data/cache.js";
import { foldSplit } from "../../../src/lib/data/folds.js";
import { generateFaceDataset } from "../../../src/lib/data/generate.js";
import { heldOutFaces, heldOutSamples, pageDataConfig } from "../../../src/lib/data/page-dataset.js";

describe("held-out faces", () => {
  const faces = heldOutFaces(32, 2);
  const ds = generateFaceDataset(pageDataConfig({ frames: 2, size: 32 }));

  it("are fold 1's frames, with the images, labels and subjects the whole dataset gives them", () => {
    expect(Array.from(faces.frames)).toEqual(Array.from(foldSplit(ds, 0).test));
    expect(faces.aus).toEqual(ds.aus);
    const ib = 32 * 32 * 3;
    for (let i = 0; i < faces.frames.length; i++) {
      const f = faces.frames[i];
      expect(ds.fold[f]).toBe(0);
      expect(Buffer.from(faces.image(i)).equals(Buffer.from(ds.images.subarray(f * ib, (f + 1) * ib))), `face ${i}`).toBe(true);
      expect(Array.from(faces.labels(i))).toEqual(Array.from(ds.labels.slice(f * ds.aus.length, (f + 1) * ds.aus.length)));
      expect(faces.subject(i)).toBe(ds.subjects[ds.subject[f]]);
    }
    expect(faces.images(2)).toEqual(new Uint8Array([...faces.image(0), ...faces.image(1)]));
    expect(() => faces.image(faces.frames.length)).toThrow(/held-out face \d+ does not exist/);
  });

  it("are subjects a page run never trains on, and the same faces at every call", () => {
    const train = ds;
    const trainSubjects = new Set(Array.from(foldSplit(train, 0).train, (f) => train.subjects[train.subject[f]]));
    for (let i = 0; i < faces.frames.length; i++) expect(trainSubjects.has(faces.subject(i))).toBe(false);
    const samples = heldOutSamples(32, 4);
    expect(samples.count).toBe(4);
    expect(samples.images).toEqual(heldOutSamples(32, 4).images);
    // The first frame of each of the first held-out subjects.
    expect(new Set(samples.subjects).size).toBe(4);
  });
});

describe("datasetSource", () => {
  it("renders once, keeps the last dataset, and reads a cached one back", async () => {
    const cache = memoryDatasetCache();
    const source = datasetSource(cache);
    const config = { ...pageDataConfig({ frames: 1, size: 16 }), subjects: 6 };
    const progress: number[] = [];
    const first = await source(config, (done) => progress.push(done));
    expect(first.fromCache).toBe(false);
    expect(progress.at(-1)).toBe(6);
    const again = await source(config);
    expect(again.dataset).toBe(first.dataset);
    expect(cache.keys()).toEqual([first.key]);
    const other = datasetSource(cache);
    const read = await other(config);
    expect(read.fromCache).toBe(true);
    expect(read.dataset.images).toEqual(first.dataset.images);
  });
});

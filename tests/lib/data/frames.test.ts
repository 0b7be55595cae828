import { describe, expect, it } from "vitest";
import { FrameImages, gatherImages, gatherLabels } from "../../../src/lib/data/frames.js";
import { generateFaceDataset } from "../../../src/lib/data/generate.js";

describe("frames", () => {
  const ds = generateFaceDataset({ preset: "bp4d", seed: 3, subjects: 3, sequencesPerSubject: 1, framesPerSequence: 2, size: 32 });
  const ib = 32 * 32 * 3;

  it("gathers images and labels of frames in the given order", () => {
    const frames = [4, 1, 4];
    const images = gatherImages(ds, frames);
    frames.forEach((f, j) => expect(Buffer.from(images.subarray(j * ib, (j + 1) * ib)).equals(Buffer.from(ds.images.subarray(f * ib, (f + 1) * ib)))).toBe(true));
    const A = ds.aus.length;
    const labels = gatherLabels(ds, frames);
    frames.forEach((f, j) => expect(Array.from(labels.subarray(j * A, (j + 1) * A))).toEqual(Array.from(ds.labels.subarray(f * A, (f + 1) * A))));
  });

  it("keeps prepared images by frame", () => {
    const frames = new FrameImages(Int32Array.from([5, 9]), Uint8Array.from({ length: 2 * ib }, (_, i) => (i < ib ? 3 : 4)), 32);
    expect(frames.has(9)).toBe(true);
    expect(frames.has(4)).toBe(false);
    expect(frames.get(9)[0]).toBe(4);
    expect(Array.from(gatherImages(frames, [9, 5]).subarray(ib - 1, ib + 1))).toEqual([4, 3]);
    expect(() => frames.get(4)).toThrow(/no image for frame 4/);
    expect(() => new FrameImages(Int32Array.from([1]), new Uint8Array(5), 32)).toThrow(/5 bytes for 1 frames of 32 px/);
  });
});

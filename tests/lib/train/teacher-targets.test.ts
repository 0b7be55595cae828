// Precomputed teacher outputs: every (frame, variant, flip) row holds the bits the live
// teacher gives on a student batch of mixed frames, variants and flips, computing them
// leaves no tensor behind, and the lookup refuses inputs it does not hold.
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { flipHorizontal } from "../../../src/lib/data/augment.js";
import { FrameImages } from "../../../src/lib/data/frames.js";
import { Rng } from "../../../src/lib/data/prng.js";
import { createDetector, detectorConfig, type Detector } from "../../../src/lib/models/detector.js";
import { initNodeBackend } from "../../../src/lib/tf/node.js";
import { computeTeacherTargets, teacherOutputs } from "../../../src/lib/train/teacher-targets.js";

const SIZE = 64;
const N = 12;
let teacher: Detector;
const rng = new Rng(11);
const frames = Int32Array.from([3, 8, 9, 14, 20, 21, 30]);
// Two composite variants of each frame: random pixels.
const composites = [0, 1].map(() => new FrameImages(frames, Uint8Array.from({ length: frames.length * SIZE * SIZE * 3 }, () => rng.int(256)), SIZE));

beforeAll(async () => {
  await initNodeBackend("wasm");
  teacher = createDetector(detectorConfig("tiny", { head: "mefl", numClasses: N }), { seed: 7 });
});

describe("teacher targets", () => {
  it("hold, for a batch of mixed frames, variants and flips, the bits of the live teacher", async () => {
    const before = tf.memory().numTensors;
    const targets = await computeTeacherTargets(teacher, frames, composites, { numAus: N, size: SIZE, flips: true, batch: 4 });
    expect(tf.memory().numTensors).toBe(before);
    expect(targets.data.length).toBe(frames.length * 2 * 2 * (N + N * N * 4));
    // A student batch: frames drawn with repeats, in another order, other batch size.
    const pick = Int32Array.from([20, 3, 3, 30, 9, 8]);
    const variants = Int32Array.from([1, 0, 1, 1, 0, 1]);
    const flipped = Uint8Array.from([0, 1, 0, 1, 1, 0]);
    const ib = SIZE * SIZE * 3;
    const images = new Uint8Array(pick.length * ib);
    pick.forEach((f, j) => {
      const img = composites[variants[j]].get(f);
      images.set(flipped[j] ? flipHorizontal(img, SIZE) : img, j * ib);
    });
    const live = teacherOutputs(teacher, images, SIZE);
    const values = (await live.data()) as Float32Array;
    live.dispose();
    const cached = targets.gather(pick, variants, flipped);
    expect(cached.length).toBe(values.length);
    let differing = 0;
    for (let i = 0; i < values.length; i++) if (Object.is(values[i], cached[i]) === false) differing++;
    expect(differing).toBe(0);
    // Mirroring changes the teacher's outputs, so a wrong flip lookup could not pass above.
    expect(targets.gather(pick.subarray(0, 1), variants.subarray(0, 1), Uint8Array.from([1])).subarray(0, N)).not.toEqual(cached.subarray(0, N));
  });

  it("refuses a frame, variant or flip it does not hold", async () => {
    const targets = await computeTeacherTargets(teacher, frames.subarray(0, 2), composites.slice(0, 1), { numAus: N, size: SIZE, flips: false, batch: 8 });
    expect(() => targets.gather(Int32Array.from([9]), Int32Array.from([0]), Uint8Array.from([0]))).toThrow(/no input for frame 9, variant 0/);
    expect(() => targets.gather(Int32Array.from([3]), Int32Array.from([1]), Uint8Array.from([0]))).toThrow(/variant 1/);
    expect(() => targets.gather(Int32Array.from([3]), Int32Array.from([0]), Uint8Array.from([1]))).toThrow(/mirrored/);
  });
});

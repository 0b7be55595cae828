// A student distilled and saved by the Student & KD page comes back from its run store
// record as a detector with the trained weights, for the Evaluation page; a record without
// a checkpoint, or holding another model, is refused with what to do.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import { MAE_PRESETS } from "../../../src/lib/config.js";
import { generateFaceDataset } from "../../../src/lib/data/generate.js";
import { predictImages } from "../../../src/lib/eval/evaluate.js";
import { savedStudent } from "../../../src/lib/eval/saved-student.js";
import { createDetector, detectorConfig, type Detector } from "../../../src/lib/models/detector.js";
import { createMae } from "../../../src/lib/models/mae.js";
import { initNodeBackend } from "../../../src/lib/tf/node.js";
import { savedRun } from "../../../src/lib/train/run-store.js";
import { createStudentRun, STUDENT_RUN_SETTINGS, studentRunDataConfig, type StudentPageRun } from "../../../src/lib/train/student-browser.js";

let teacher: Detector;
let run: StudentPageRun;
const mae = () => createMae(MAE_PRESETS.tiny, { seed: 3 });
let composites: ReturnType<typeof mae>;

beforeAll(async () => {
  await initNodeBackend("wasm");
  teacher = createDetector(detectorConfig("tiny", { head: "mefl", numClasses: 12 }), { seed: 7 });
  const ds = generateFaceDataset({ ...studentRunDataConfig({ frames: 1 }), subjects: 6 });
  composites = mae();
  run = await createStudentRun({ steps: 2, batch: 2, evalFrames: 8, occlusion: "block:0.3" }, ds, { mae: composites, studentMae: mae(), teacher });
  expect(await run.trainer.run()).toBe("completed");
});
afterAll(() => {
  run?.dispose();
  composites?.dispose();
  teacher?.dispose();
});

describe("savedStudent", () => {
  it("rebuilds the saved run's student: same predictions as the run's own model", async () => {
    const state = await run.trainer.state();
    const record = savedRun({ ...STUDENT_RUN_SETTINGS.defaults, occlusion: "block:0.3" }, state, await run.encodeState(state), "wasm");
    // IndexedDB may hand the bytes back as an ArrayBuffer.
    for (const stored of [record, { ...record, checkpoint: record.checkpoint.slice().buffer }]) {
      const s = savedStudent(structuredClone(stored));
      expect(s).toMatchObject({ step: 2, occlusion: "block:0.3" });
      const images = run.heldOut.occluded;
      const mine = await predictImages(s.detector, images, 64);
      const theirs = await predictImages(run.student, images, 64);
      expect(Array.from(mine)).toEqual(Array.from(theirs));
      s.detector.dispose();
    }
  });

  it("says what to do without a saved student, and refuses a record holding another model", () => {
    expect(() => savedStudent(undefined)).toThrow(/no student has been distilled in this browser yet/);
    expect(() => savedStudent({ checkpoint: "not bytes" })).toThrow(/Student and KD page/);
    const before = tf.memory().numTensors;
    const teacherBytes = new Uint8Array(readFileSync("src/checkpoints/teacher-tiny-mefl-random0.5.safetensors"));
    expect(() => savedStudent({ checkpoint: teacherBytes })).toThrow(/holds a detector, not a student/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

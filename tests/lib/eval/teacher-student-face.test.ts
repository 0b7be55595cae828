// Teacher and student on one face: the teacher reads the MAE composite (the face's visible
// pixels unchanged), the student the occluded face, each as predictImages reads it; AUs
// called right at 0.5 are counted as F1 counts them.
import { beforeAll, describe, expect, it } from "vitest";
import { MAE_PRESETS } from "../../../src/lib/config.js";
import { heldOutFaces } from "../../../src/lib/data/page-dataset.js";
import { predictImages } from "../../../src/lib/eval/evaluate.js";
import { heldOutFace } from "../../../src/lib/eval/face-predictions.js";
import { correctCalls, teacherStudentOnFace } from "../../../src/lib/eval/teacher-student-face.js";
import { parseOcclusion } from "../../../src/lib/masks/spec.js";
import { createDetector, detectorConfig } from "../../../src/lib/models/detector.js";
import { createMae } from "../../../src/lib/models/mae.js";
import { studentConfig } from "../../../src/lib/models/student.js";
import { initNodeBackend } from "../../../src/lib/tf/node.js";

beforeAll(async () => {
  await initNodeBackend("wasm");
});

describe("teacherStudentOnFace", () => {
  it("gives the composite and each model's probabilities on what it reads", async () => {
    const { imgSize: size, patchSize: patch } = MAE_PRESETS.tiny;
    const faces = heldOutFaces(size, 1);
    const shown = heldOutFace(faces, 2, parseOcclusion("random:0.5"), patch);
    const mae = createMae(MAE_PRESETS.tiny, { seed: 3 });
    const teacher = createDetector(detectorConfig("tiny", { head: "mefl", numClasses: 12 }), { seed: 7 });
    const student = createDetector(studentConfig("mae-tiny", { numClasses: 12 }), { seed: 5 });
    const out = await teacherStudentOnFace({ mae, teacher, student }, shown);
    expect(out.composite.length).toBe(size * size * 3);
    // Visible patches keep the face's pixels.
    const grid = size / patch;
    let visible = 0;
    for (let p = 0; p < grid * grid; p++) {
      if (shown.masks.patchMask[p] >= 0.5) continue;
      visible++;
      const px = (Math.floor(p / grid) * patch * size + (p % grid) * patch) * 3;
      expect(Array.from(out.composite.subarray(px, px + 3))).toEqual(Array.from(shown.face.subarray(px, px + 3)));
    }
    expect(visible).toBe(32);
    expect(out.removedError).toBeGreaterThan(0);
    expect(Array.from(out.teacher)).toEqual(Array.from(await predictImages(teacher, out.composite, size)));
    expect(Array.from(out.student)).toEqual(Array.from(await predictImages(student, shown.occluded, size)));
    expect(out.student.length).toBe(12);
    await expect(teacherStudentOnFace({ mae, teacher, student }, { ...shown, size: 32 })).rejects.toThrow(/64 px faces, the face is 32 px/);
    mae.dispose();
    teacher.dispose();
    student.dispose();
  });

  it("counts an AU right when its probability is on the label's side of 0.5", () => {
    expect(correctCalls([0.5, 0.49, 0.9, -0.2], [1, 0, 0, 0])).toBe(3);
    expect(correctCalls([], [])).toBe(0);
  });
});

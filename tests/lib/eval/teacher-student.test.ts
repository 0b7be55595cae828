// Teacher and student on held-out faces: the set pairs each occluded face with its MAE
// composite under the same mask (visible pixels identical), the teacher's outputs are
// probabilities (edge classes sum to 1), a student that reads what the teacher reads is
// at KL 0 with the teacher's F1, and the helpers index faces and AU pairs as the MEFL
// edge head does.
import { beforeAll, describe, expect, it } from "vitest";
import { MAE_PRESETS } from "../../../src/lib/config.js";
import { generateFaceDataset } from "../../../src/lib/data/generate.js";
import { compareWithTeacher, disagreementOrder, edgeClassMatrix, faceImage, faceRow, kdHeldOutSet, kdOutputs } from "../../../src/lib/eval/teacher-student.js";
import { occlusionPatchMasks, parseOcclusion } from "../../../src/lib/masks/spec.js";
import { createDetector, detectorConfig } from "../../../src/lib/models/detector.js";
import { createMae } from "../../../src/lib/models/mae.js";
import { initNodeBackend } from "../../../src/lib/tf/node.js";

beforeAll(async () => {
  await initNodeBackend("wasm");
});

describe("teacher and student on held-out faces", () => {
  it("pairs occluded faces with their composites, and a student reading the teacher's input agrees with it", async () => {
    const ds = generateFaceDataset({ preset: "bp4d", seed: 1, size: 64, subjects: 3, sequencesPerSubject: 1, framesPerSequence: 2 });
    const teacher = createDetector(detectorConfig("tiny", { head: "mefl", numClasses: ds.aus.length }), { seed: 7 });
    const mae = createMae(MAE_PRESETS.tiny, { seed: 3 });
    const frames = Int32Array.of(0, 3, 5);
    const occlusion = parseOcclusion("random:0.5");
    const set = await kdHeldOutSet(teacher, mae, ds, frames, { input: "occluded", occlusion, fill: "gray", patch: 8 });
    expect(set.subjects).toEqual(Array.from(frames, (f) => ds.subjects[ds.subject[f]]));
    // Visible patches are the same pixels in both images; removed ones differ (gray vs reconstruction).
    const masks = occlusionPatchMasks(occlusion, frames, 8, 8);
    for (let i = 0; i < 3; i++) {
      const occ = faceImage(set.occluded, i, 64);
      const comp = faceImage(set.composites, i, 64);
      for (let p = 0; p < 64; p++) {
        const px = ((Math.floor(p / 8) * 8) * 64 + (p % 8) * 8) * 3; // the patch's top-left pixel
        if (masks[i * 64 + p] < 0.5) expect([occ[px], occ[px + 1], occ[px + 2]]).toEqual([comp[px], comp[px + 1], comp[px + 2]]);
      }
    }
    for (let k = 0; k < 3 * 144; k++) {
      const s = set.teacher.edgeProb[4 * k] + set.teacher.edgeProb[4 * k + 1] + set.teacher.edgeProb[4 * k + 2] + set.teacher.edgeProb[4 * k + 3];
      expect(s).toBeCloseTo(1, 5);
    }
    // A "student" that reads the composites is the teacher: KL 0, the teacher's F1.
    const same = { ...set, occluded: set.composites };
    const c = await compareWithTeacher(teacher, same, 7);
    expect(c.step).toBe(7);
    for (const v of c.klPerAu) expect(Math.abs(v)).toBeLessThan(1e-5);
    expect(c.studentScores.meanF1).toBe(set.teacherScores.meanF1);
    // On the occluded faces it differs.
    const d = await compareWithTeacher(teacher, set, 7);
    expect(d.meanKl).toBeGreaterThan(0);
    expect(Array.from(faceRow(d.student.prob, 1, 12))).toEqual(Array.from((await kdOutputs(teacher, faceImage(set.occluded, 1, 64))).prob));
    teacher.dispose();
    mae.dispose();
  });

  it("orders faces by disagreement and reads an edge class as an N x N matrix (pair e = i*N + j)", () => {
    expect(disagreementOrder([0.1, 0.5, 0.1, 0.3])).toEqual([1, 3, 0, 2]);
    const n = 2;
    const edge = new Float32Array(2 * n * n * 4).map((_, k) => k); // face f, pair e, class c at (f * 4 + e) * 4 + c
    expect(edgeClassMatrix(edge, 1, n, 3)).toEqual([[19, 23], [27, 31]]);
    expect(edgeClassMatrix(edge, 0, n, 0)).toEqual([[0, 4], [8, 12]]);
    expect(() => edgeClassMatrix(edge, 2, n)).toThrow(/face 2 is past the 2 faces/);
  });
});

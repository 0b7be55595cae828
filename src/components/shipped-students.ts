// The shipped students (src/checkpoints/student-tiny-*.safetensors), rebuilt from their
// metadata (loadCheckpointModel), and what the index page runs on one face: the shipped
// MAE, the stage-2 teacher of an occlusion and the student distilled from it. Each file is
// loaded once per page; the MAE and teachers are shipped-teachers.ts's.
import { FileAttachment, type FileAttachmentHandle } from "observablehq:stdlib";
import type { CheckpointMeta } from "../lib/io/checkpoint.js";
import type { TeacherStudentModels } from "../lib/eval/teacher-student-face.js";
import type { Detector } from "../lib/models/detector.js";
import { loadCheckpointModel } from "../lib/registry.js";
import type { PageOcclusion } from "../lib/train/student-browser.js";
import type { Report } from "./progress.js";
import { startRuntime } from "./runtime.js";
import { shippedTeachers } from "./shipped-teachers.js";

/** The student shipped for each of the paper's occlusions, in src/checkpoints. */
export const SHIPPED_STUDENTS: Record<PageOcclusion, string> = {
  "random:0.5": "student-tiny-random0.5.safetensors",
  "block:0.3": "student-tiny-block0.3.safetensors",
};

/** Literal paths: Framework copies only the files a FileAttachment call names. */
function studentFile(occlusion: PageOcclusion): FileAttachmentHandle {
  return occlusion === "random:0.5" ? FileAttachment("../checkpoints/student-tiny-random0.5.safetensors") : FileAttachment("../checkpoints/student-tiny-block0.3.safetensors");
}

export interface LoadedStudent {
  detector: Detector;
  meta: CheckpointMeta;
  file: string;
}

const students = new Map<PageOcclusion, Promise<LoadedStudent>>();

/** The shipped student of `occlusion` (once the backend has started; loaded once per page). */
export function loadShippedStudent(occlusion: PageOcclusion): Promise<LoadedStudent> {
  if (!students.has(occlusion)) {
    const file = SHIPPED_STUDENTS[occlusion];
    const loading = (async () => {
      await startRuntime();
      const bytes = new Uint8Array(await studentFile(occlusion).arrayBuffer());
      const loaded = loadCheckpointModel(bytes, { source: file });
      if (loaded.family !== "student") throw new Error(`${file} is not a student checkpoint (its metadata says ${loaded.family})`);
      return { detector: loaded.detector, meta: loaded.meta, file };
    })();
    loading.catch(() => students.delete(occlusion));
    students.set(occlusion, loading);
  }
  return students.get(occlusion)!;
}

/** The MAE, the stage-2 teacher and the student of `occlusion`, reporting each step (3 files). */
export async function teacherStudentModels(occlusion: PageOcclusion, report: Report = async () => {}): Promise<TeacherStudentModels & { teacherFile: string; studentFile: string }> {
  await report("Starting the compute backend…");
  await startRuntime();
  await report("Loading the shipped MAE…", 0, 3);
  const shipped = await shippedTeachers();
  await report(`Loading the ${occlusion} teacher…`, 1, 3);
  const teacher = await shipped.loadTeacher(occlusion);
  await report(`Loading the ${occlusion} student…`, 2, 3);
  const student = await loadShippedStudent(occlusion);
  return { mae: shipped.mae, teacher: teacher.detector, student: student.detector, teacherFile: teacher.file, studentFile: student.file };
}

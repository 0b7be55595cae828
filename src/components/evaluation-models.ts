// The models the Evaluation page compares, loaded once per page when first asked for: the
// shipped clean detector, the stage-2 teachers and the students of each of the paper's
// occlusions (src/checkpoints), the shipped MAE that makes the teachers' composites, and
// the last student distilled in this browser (the Student & KD page's saved run, read from
// IndexedDB). Each is rebuilt from its checkpoint's metadata (loadCheckpointModel).
import { FileAttachment, type FileAttachmentHandle } from "observablehq:stdlib";
import type { StudentChoice } from "../lib/eval/evaluation-settings.js";
import { SAVED_STUDENT_KEY, savedStudent } from "../lib/eval/saved-student.js";
import type { Detector } from "../lib/models/detector.js";
import type { Mae } from "../lib/models/mae.js";
import { loadMae } from "../lib/models/mae-checkpoint.js";
import { loadCheckpointModel } from "../lib/registry.js";
import { SHIPPED_TEACHERS, type PageOcclusion } from "../lib/train/student-browser.js";
import { browserRunStore } from "./browser-storage.js";
import { startRuntime } from "./runtime.js";

export const SHIPPED_STUDENTS: Record<PageOcclusion, string> = {
  "random:0.5": "student-tiny-random0.5.safetensors",
  "block:0.3": "student-tiny-block0.3.safetensors",
};
export const CLEAN_DETECTOR = "detector-tiny-clean.safetensors";

/** Literal paths: Framework copies only the files a FileAttachment call names. */
function teacherFile(o: PageOcclusion): FileAttachmentHandle {
  return o === "random:0.5" ? FileAttachment("../checkpoints/teacher-tiny-mefl-random0.5.safetensors") : FileAttachment("../checkpoints/teacher-tiny-mefl-block0.3.safetensors");
}
function studentFile(o: PageOcclusion): FileAttachmentHandle {
  return o === "random:0.5" ? FileAttachment("../checkpoints/student-tiny-random0.5.safetensors") : FileAttachment("../checkpoints/student-tiny-block0.3.safetensors");
}

export interface EvaluatedModel {
  detector: Detector;
  /** Where it comes from: the checkpoint's path as the precomputed records name it, or "this browser". */
  ckpt: string;
  /** The command or page that made it. */
  madeBy: string;
}

export interface EvaluationModels {
  mae(): Promise<Mae>;
  clean(): Promise<EvaluatedModel>;
  teacher(occlusion: PageOcclusion): Promise<EvaluatedModel>;
  /** A shipped student, or the one distilled in this browser (rejects, saying why, when there is none). */
  student(choice: StudentChoice): Promise<EvaluatedModel>;
  dispose(): void;
}

const bytes = async (file: FileAttachmentHandle) => new Uint8Array(await file.arrayBuffer());

function detectorFrom(b: Uint8Array, source: string, ckpt: string): EvaluatedModel {
  const loaded = loadCheckpointModel(b, { source });
  if (loaded.family === "mae") throw new Error(`${source} holds an MAE, not an AU detector`);
  return { detector: loaded.detector, ckpt, madeBy: loaded.meta.createdBy ?? "unknown" };
}

/** The Student & KD page's saved run as a student (lib/eval/saved-student.ts). */
async function browserStudent(): Promise<EvaluatedModel> {
  const s = savedStudent(await (await browserRunStore()).get(SAVED_STUDENT_KEY));
  return { detector: s.detector, ckpt: "this browser", madeBy: `the Student and KD page in this browser (${s.step ?? "?"} steps, ${s.occlusion ?? "?"})` };
}

let models: EvaluationModels | undefined;

/** The page's models (one set per page load, each loaded when first asked for). */
export function evaluationModels(): EvaluationModels {
  if (models) return models;
  const cache = new Map<string, Promise<EvaluatedModel | Mae>>();
  const once = <T extends EvaluatedModel | Mae>(key: string, load: () => Promise<T>): Promise<T> => {
    if (!cache.has(key)) {
      const p = startRuntime().then(load);
      p.catch(() => cache.delete(key));
      cache.set(key, p);
    }
    return cache.get(key) as Promise<T>;
  };
  models = {
    mae: () => once("mae", async () => loadMae(await bytes(FileAttachment("../checkpoints/mae-tiny.safetensors")), { source: "mae-tiny.safetensors" }).mae),
    clean: () => once("clean", async () => detectorFrom(await bytes(FileAttachment("../checkpoints/detector-tiny-clean.safetensors")), CLEAN_DETECTOR, `src/checkpoints/${CLEAN_DETECTOR}`)),
    teacher: (o) => once(`teacher ${o}`, async () => detectorFrom(await bytes(teacherFile(o)), SHIPPED_TEACHERS[o], `src/checkpoints/${SHIPPED_TEACHERS[o]}`)),
    student: (choice) =>
      choice === "browser" ? once("student browser", browserStudent) : once(`student ${choice}`, async () => detectorFrom(await bytes(studentFile(choice)), SHIPPED_STUDENTS[choice], `src/checkpoints/${SHIPPED_STUDENTS[choice]}`)),
    dispose() {
      for (const p of cache.values()) void p.then((m) => ("detector" in m ? m.detector.dispose() : m.dispose()), () => {});
      cache.clear();
      models = undefined;
    },
  };
  return models;
}

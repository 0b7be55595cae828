// The models the Evaluation page compares, loaded once per page when first asked for: the
// shipped clean detector, the stage-2 teachers and the students of each of the paper's
// occlusions (src/checkpoints), the shipped MAE that makes the teachers' composites, and
// the last student distilled in this browser (the Student & KD page's saved run, read from
// IndexedDB), and a checkpoint file the user chose for the teacher or student slot (checked
// and loaded by lib/eval/slot-checkpoint.ts; one per slot, a new file replaces the last).
// Each is rebuilt from its checkpoint's metadata (loadCheckpointModel).
import { FileAttachment } from "observablehq:stdlib";
import { MAE_PRESETS } from "../lib/config.js";
import { heldOutFaces, pageDataConfig } from "../lib/data/page-dataset.js";
import type { StudentChoice } from "../lib/eval/evaluation-settings.js";
import { SAVED_STUDENT_KEY, savedStudent } from "../lib/eval/saved-student.js";
import { loadSlotCheckpoint, type ModelSlot, type SlotFaces } from "../lib/eval/slot-checkpoint.js";
import type { Detector } from "../lib/models/detector.js";
import type { Mae } from "../lib/models/mae.js";
import { loadCheckpointModel } from "../lib/registry.js";
import { SHIPPED_CLEAN_DETECTOR } from "../lib/train/detector-browser.js";
import type { PageOcclusion } from "../lib/train/student-browser.js";
import { browserRunStore } from "./browser-storage.js";
import { fileSource } from "./checkpoint-file.js";
import { startRuntime } from "./runtime.js";
import { loadShippedStudent } from "./shipped-students.js";
import { shippedTeachers } from "./shipped-teachers.js";

export interface EvaluatedModel {
  detector: Detector;
  /** Where it comes from: the checkpoint's path as the precomputed records name it, or "this browser". */
  ckpt: string;
  /** The command or page that made it. */
  madeBy: string;
  /** A checkpoint file the user chose: its name, size and what it holds. */
  file?: { name: string; size: number; description: string };
}

/** A slot's model: shipped (or this browser's), or "file": the checkpoint file chosen for it. */
export type TeacherSlot = PageOcclusion | "file";
export type StudentSlot = StudentChoice | "file";

/** A file input's value: the File the user chose, or null. */
type ChosenFile = (Blob & { name?: string }) | null;

export interface EvaluationModels {
  mae(): Promise<Mae>;
  clean(): Promise<EvaluatedModel>;
  /** A shipped teacher, or the checkpoint file chosen for the slot (rejects, saying why, when there is none or it cannot be used). */
  teacher(choice: TeacherSlot, file?: ChosenFile): Promise<EvaluatedModel>;
  /** A shipped student, the one distilled in this browser, or the file chosen for the slot (rejects, saying why, when there is none). */
  student(choice: StudentSlot, file?: ChosenFile): Promise<EvaluatedModel>;
  dispose(): void;
}

/** The faces the page scores: what a model from a file must read and predict. */
function pageFaces(): SlotFaces {
  const { imgSize } = MAE_PRESETS.tiny;
  return { imgSize, aus: heldOutFaces(imgSize, 1).aus, preset: pageDataConfig({ frames: 1 }).preset };
}

const shipped = (file: string, loaded: { detector: Detector; meta: { createdBy?: string } }): EvaluatedModel => ({
  detector: loaded.detector,
  ckpt: `src/checkpoints/${file}`,
  madeBy: loaded.meta.createdBy ?? "unknown",
});

async function cleanDetector(): Promise<EvaluatedModel> {
  const bytes = new Uint8Array(await FileAttachment("../checkpoints/detector-tiny-clean.safetensors").arrayBuffer());
  const loaded = loadCheckpointModel(bytes, { source: SHIPPED_CLEAN_DETECTOR });
  if (loaded.family === "mae") throw new Error(`${SHIPPED_CLEAN_DETECTOR} holds an MAE, not an AU detector`);
  return shipped(SHIPPED_CLEAN_DETECTOR, loaded);
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
  // One file per slot: the same File gives the same model; another replaces it, and the
  // last one's detector is disposed (work still running on it fails and is dropped, as the
  // page has moved on to the new file).
  const files = new Map<ModelSlot, { file: Blob; loading: Promise<EvaluatedModel> }>();
  const fromFile = (slot: ModelSlot, file: ChosenFile | undefined): Promise<EvaluatedModel> => {
    if (!file) return Promise.reject(new Error(`no checkpoint file chosen for the ${slot} yet: choose a .safetensors file under “${slot === "teacher" ? "Teacher" : "Student"} file”, or pick a shipped ${slot}`));
    const current = files.get(slot);
    if (current?.file === file) return current.loading;
    if (current) void current.loading.then((m) => m.detector.dispose(), () => {});
    const loading = startRuntime()
      .then(() => loadSlotCheckpoint(fileSource(file), slot, pageFaces()))
      .then((c) => ({ detector: c.detector, ckpt: `file “${c.name}”`, madeBy: c.meta.createdBy ?? "an unknown command", file: { name: c.name, size: c.size, description: c.description } }));
    loading.catch(() => {});
    files.set(slot, { file, loading });
    return loading;
  };
  // The MAE, the teachers and the shipped students are the shared per-page loaders' (shipped-teachers.ts, shipped-students.ts).
  models = {
    mae: () => once("mae", async () => (await shippedTeachers()).mae),
    clean: () => once("clean", cleanDetector),
    teacher: (o, file) =>
      o === "file" ? fromFile("teacher", file) : once(`teacher ${o}`, async () => {
        const t = await (await shippedTeachers()).loadTeacher(o);
        return shipped(t.file, t);
      }),
    student: (choice, file) =>
      choice === "file" ? fromFile("student", file) : choice === "browser" ? once("student browser", browserStudent) : once(`student ${choice}`, async () => {
        const s = await loadShippedStudent(choice);
        return shipped(s.file, s);
      }),
    dispose() {
      // This page's own models; the shared loaders keep theirs for the page's lifetime.
      for (const [key, p] of cache) if (key === "clean" || key === "student browser") void p.then((m) => ("detector" in m ? m.detector.dispose() : m.dispose()), () => {});
      for (const { loading } of files.values()) void loading.then((m) => m.detector.dispose(), () => {});
      cache.clear();
      files.clear();
      models = undefined;
    },
  };
  return models;
}

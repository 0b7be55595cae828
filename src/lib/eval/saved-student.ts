// The student a page distilled and saved in this browser (the Student & KD page's run
// store record: its settings and a resumable checkpoint that carries the model's metadata),
// rebuilt as a detector to evaluate beside the shipped ones. No DOM.
import type { CheckpointMeta } from "../io/checkpoint.js";
import type { Detector } from "../models/detector.js";
import { loadCheckpointModel } from "../registry.js";

/** The Student & KD page's key in the run store (components/run-session.ts). */
export const SAVED_STUDENT_KEY = "student-kd";

export interface SavedStudent {
  detector: Detector;
  meta: CheckpointMeta;
  /** Steps trained when it was saved. */
  step: number | null;
  /** The occlusion it was distilled for (its settings), when recorded. */
  occlusion: string | null;
}

/** The student in a saved run record; throws, saying what to do, when there is none or it is not a student. */
export function savedStudent(record: unknown, source = "the student saved in this browser"): SavedStudent {
  const r = record as { checkpoint?: unknown; step?: unknown; settings?: { occlusion?: unknown } } | null | undefined;
  const c = r?.checkpoint;
  const bytes = c instanceof Uint8Array ? c : c instanceof ArrayBuffer ? new Uint8Array(c) : null;
  if (!bytes) throw new Error("no student has been distilled in this browser yet: run one on the Student and KD page (it is saved there), or pick a shipped student");
  const loaded = loadCheckpointModel(bytes, { source });
  if (loaded.family !== "student") {
    if (loaded.family === "mae") loaded.mae.dispose();
    else loaded.detector.dispose();
    throw new Error(`${source} holds a ${loaded.family}, not a student`);
  }
  return {
    detector: loaded.detector,
    meta: loaded.meta,
    step: typeof r?.step === "number" ? r.step : null,
    occlusion: typeof r?.settings?.occlusion === "string" ? r.settings.occlusion : null,
  };
}

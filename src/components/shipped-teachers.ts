// The models the Student & KD page distils with, shipped in src/checkpoints: the tiny MAE
// (loaded once for the teacher's composites, and again for each run's student encoder) and
// the stage-2 (MEFL) teacher of each of the paper's occlusions, read from its checkpoint's
// metadata (loadCheckpointModel) when first asked for. Loaded once per page.
import { FileAttachment, type FileAttachmentHandle } from "observablehq:stdlib";
import type { CheckpointMeta } from "../lib/io/checkpoint.js";
import type { Detector } from "../lib/models/detector.js";
import { loadMae } from "../lib/models/mae-checkpoint.js";
import { loadCheckpointModel } from "../lib/registry.js";
import { SHIPPED_TEACHERS, type PageOcclusion, type ShippedStudentModels } from "../lib/train/student-browser.js";
import { el } from "./element.js";

/** Literal paths: Framework copies only the files a FileAttachment call names. */
function teacherFile(occlusion: PageOcclusion): FileAttachmentHandle {
  return occlusion === "random:0.5" ? FileAttachment("../checkpoints/teacher-tiny-mefl-random0.5.safetensors") : FileAttachment("../checkpoints/teacher-tiny-mefl-block0.3.safetensors");
}

const bytes = async (file: FileAttachmentHandle) => new Uint8Array(await file.arrayBuffer());

export interface LoadedTeacher {
  detector: Detector;
  meta: CheckpointMeta;
  file: string;
}

export type ShippedTeachers = ShippedStudentModels & {
  /** The teacher of an occlusion with its metadata (loaded once). */
  loadTeacher(occlusion: PageOcclusion): Promise<LoadedTeacher>;
  dispose(): void;
};

let shipped: Promise<ShippedTeachers> | undefined;

/** The shipped MAE and teachers (one set per page load). */
export function shippedTeachers(): Promise<ShippedTeachers> {
  shipped ??= (async () => {
    const maeBytes = await bytes(FileAttachment("../checkpoints/mae-tiny.safetensors"));
    const { mae } = loadMae(maeBytes, { source: "mae-tiny.safetensors" });
    const teachers = new Map<PageOcclusion, Promise<LoadedTeacher>>();
    const loadTeacher = (occlusion: PageOcclusion) => {
      if (!teachers.has(occlusion)) {
        const file = SHIPPED_TEACHERS[occlusion];
        teachers.set(occlusion, bytes(teacherFile(occlusion)).then((b) => {
          const loaded = loadCheckpointModel(b, { source: file });
          if (loaded.family !== "detector" || loaded.detector.config.head !== "mefl") throw new Error(`${file} is not a stage-2 (MEFL) detector`);
          return { detector: loaded.detector, meta: loaded.meta, file };
        }));
      }
      return teachers.get(occlusion)!;
    };
    return {
      mae,
      studentEncoder: () => loadMae(maeBytes, { source: "mae-tiny.safetensors" }).mae,
      teacher: async (occlusion) => (await loadTeacher(occlusion)).detector,
      loadTeacher,
      dispose() {
        mae.dispose();
        for (const t of teachers.values()) void t.then((x) => x.detector.dispose(), () => {});
        shipped = undefined;
      },
    };
  })();
  return shipped;
}

/** A line on the teacher a run distils: file, training and held-out F1 as its metadata records them (the command that made it on hover). */
export function TeacherDetails({ meta, file }: LoadedTeacher): HTMLElement {
  const f1 = meta.metrics?.meanF1;
  return el(
    "p",
    { className: "muted" },
    "Teacher: ",
    el("code", { textContent: `src/checkpoints/${file}`, title: `made by ${meta.createdBy ?? "an unknown command"}` }),
    `, ME-GraphAU stage 2 (MEFL), ${meta.step ?? "?"} steps on MAE composites${typeof f1 === "number" ? `; mean F1 ${(100 * f1).toFixed(1)}% on all of fold 1's composites` : ""}.`,
  );
}

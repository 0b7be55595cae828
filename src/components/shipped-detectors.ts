// The models and results shipped with MaskAU that the Teacher page shows: the tiny clean
// detector (condition (a)), the teacher trained on 50% random-patch composites (d), the
// tiny MAE that makes the composites, and the Table 2 results of `maskau reproduce table2`
// (plain data, so the page shows them without waiting for the models).
import { FileAttachment, type FileAttachmentHandle } from "observablehq:stdlib";
import { checkTable2, type Table2File } from "../lib/eval/table2.js";
import { decodeCheckpoint } from "../lib/io/checkpoint.js";
import type { DetectorPageResources } from "../lib/train/detector-browser.js";
import { loadDetector, type LoadedDetector } from "../lib/models/detector-checkpoint.js";
import type { Detector } from "../lib/models/detector.js";
import type { Mae } from "../lib/models/mae.js";
import { loadMae } from "../lib/models/mae-checkpoint.js";
import { el } from "./element.js";
import type { Report } from "./progress.js";
import { startRuntime } from "./runtime.js";

/** The Table 2 results that `maskau reproduce table2` wrote (src/data/table2.json). */
export async function loadShippedTable2(): Promise<Table2File> {
  return checkTable2(await FileAttachment("../data/table2.json").json(), "table2.json");
}

export interface ShippedDetectors {
  clean: LoadedDetector;
  teacher: LoadedDetector;
  mae: Mae;
  /** The clean detector, the teacher and the MAE, as the evaluation functions take them. */
  models: { clean: Detector; teacher: Detector; mae: Mae };
  dispose(): void;
}

const bytes = async (file: FileAttachmentHandle) => new Uint8Array(await file.arrayBuffer());

/** The detectors and the MAE, once the page's backend has started (their weights live there). */
export async function loadShippedDetectors(report: Report = async () => {}): Promise<ShippedDetectors> {
  report("Starting the compute backend…");
  await startRuntime();
  report("Loading the detectors and the MAE (3 files)…", 0, 3);
  const files = await Promise.all([
    bytes(FileAttachment("../checkpoints/detector-tiny-clean.safetensors")),
    bytes(FileAttachment("../checkpoints/teacher-tiny-random0.5.safetensors")),
    bytes(FileAttachment("../checkpoints/mae-tiny.safetensors")),
  ]);
  report("Building the detectors and the MAE…", 1, 3);
  const clean = loadDetector(files[0], { source: "detector-tiny-clean.safetensors" });
  const teacher = loadDetector(files[1], { source: "teacher-tiny-random0.5.safetensors" });
  report("Building the MAE…", 2, 3);
  const { mae } = loadMae(files[2], { source: "mae-tiny.safetensors" });
  return {
    clean,
    teacher,
    mae,
    models: { clean: clean.detector, teacher: teacher.detector, mae },
    dispose: () => {
      clean.detector.dispose();
      teacher.detector.dispose();
      mae.dispose();
    },
  };
}

let training: Promise<Required<DetectorPageResources>> | undefined;

/**
 * What a teacher run of the page reads (once per page load, kept across runs): an MAE of
 * its own for the composites and the clean detector's tensors to start from.
 */
export function detectorTrainingModels(): Promise<Required<DetectorPageResources>> {
  training ??= (async () => {
    await startRuntime();
    const [clean, mae] = await Promise.all([bytes(FileAttachment("../checkpoints/detector-tiny-clean.safetensors")), bytes(FileAttachment("../checkpoints/mae-tiny.safetensors"))]);
    return { clean: decodeCheckpoint(clean, "detector-tiny-clean.safetensors").tensors, mae: loadMae(mae, { source: "mae-tiny.safetensors" }).mae };
  })();
  training.catch(() => (training = undefined));
  return training;
}

/** A line per shipped detector: head, size, training and the command that made it; then the backend. */
export function ShippedDetectorDetails(models: ShippedDetectors, backend: string): HTMLElement {
  const describe = (name: string, { detector, meta }: LoadedDetector) => {
    const condition = (meta?.config as { condition?: { input?: string; occlusion?: string } } | undefined)?.condition;
    const head = detector.config.head === "anfl" ? "stage 1 (ANFL)" : "stage 2 (MEFL)";
    return el(
      "li",
      {},
      el("b", { textContent: name }),
      `: ${head}, ${detector.countTrainable().toLocaleString("en")} trainable parameters, ${meta?.step ?? "?"} steps, input ${condition?.input ?? "?"} ${condition?.occlusion ?? ""}; made by `,
      el("code", { textContent: meta?.createdBy ?? "unknown" }),
      ".",
    );
  };
  return el(
    "ul",
    {},
    describe("detector-tiny-clean.safetensors", models.clean),
    describe("teacher-tiny-random0.5.safetensors", models.teacher),
    el("li", { textContent: `Backend: ${backend}.` }),
  );
}

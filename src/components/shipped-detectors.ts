// The models and results shipped with MaskAU that the Teacher page shows: the tiny clean
// detector (condition (a)), the teacher trained on 50% random-patch composites (d), the
// tiny MAE that makes the composites, and the Table 2 results of `maskau reproduce table2`.
import { FileAttachment, type FileAttachmentHandle } from "observablehq:stdlib";
import { checkTable2, type Table2File } from "../lib/eval/table2.js";
import { loadDetector, type LoadedDetector } from "../lib/models/detector-checkpoint.js";
import type { Mae } from "../lib/models/mae.js";
import { loadMae } from "../lib/models/mae-checkpoint.js";
import { el } from "./element.js";

export interface ShippedDetectors {
  table2: Table2File;
  clean: LoadedDetector;
  teacher: LoadedDetector;
  mae: Mae;
  dispose(): void;
}

const bytes = async (file: FileAttachmentHandle) => new Uint8Array(await file.arrayBuffer());

export async function loadShippedDetectors(): Promise<ShippedDetectors> {
  const table2 = checkTable2(await FileAttachment("../data/table2.json").json(), "table2.json");
  const clean = loadDetector(await bytes(FileAttachment("../checkpoints/detector-tiny-clean.safetensors")), { source: "detector-tiny-clean.safetensors" });
  const teacher = loadDetector(await bytes(FileAttachment("../checkpoints/teacher-tiny-random0.5.safetensors")), { source: "teacher-tiny-random0.5.safetensors" });
  const { mae } = loadMae(await bytes(FileAttachment("../checkpoints/mae-tiny.safetensors")), { source: "mae-tiny.safetensors" });
  return {
    table2,
    clean,
    teacher,
    mae,
    dispose: () => {
      clean.detector.dispose();
      teacher.detector.dispose();
      mae.dispose();
    },
  };
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

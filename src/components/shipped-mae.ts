// The MAE shipped with MaskAU (src/checkpoints/mae-tiny.safetensors): the model itself
// for the Occlusion lab, and on the pretraining page loaded once the page is up, run once
// on the held-out faces, and described with its loss curve. The page still trains when
// the file cannot be read.
import { FileAttachment } from "observablehq:stdlib";
import type { MaeConfig } from "../lib/config.js";
import type { HeldOutSamples } from "../lib/data/page-dataset.js";
import type { CheckpointMeta } from "../lib/io/checkpoint.js";
import type { Mae } from "../lib/models/mae.js";
import { loadMae } from "../lib/models/mae-checkpoint.js";
import { reconstructImages, type ImageReconstruction } from "../lib/models/reconstruct.js";
import { el } from "./element.js";
import { LossChart } from "./loss-chart.js";
import { Pending, type Report } from "./progress.js";
import { startRuntime } from "./runtime.js";

/** Reads and builds the shipped MAE once the page's backend has started (its weights live there). */
export async function shippedMaeModel(report: Report = async () => {}): Promise<{ mae: Mae; meta: CheckpointMeta | null }> {
  report("Starting the compute backend…");
  await startRuntime();
  const file = FileAttachment("../checkpoints/mae-tiny.safetensors");
  report(`Loading ${file.name}…`);
  const bytes = new Uint8Array(await file.arrayBuffer());
  report(`Building the MAE from ${file.name} (${(bytes.length / 2 ** 20).toFixed(1)} MiB)…`);
  return loadMae(bytes, { source: file.name });
}

export type ShippedMae =
  | { state: "loading"; step?: undefined; out?: undefined }
  | { state: "error"; error: string; step?: undefined; out?: undefined }
  | { state: "ready"; meta: CheckpointMeta | null; config: MaeConfig; parameters: number; step: number | null; out: ImageReconstruction | null };

/** "loading", then the model's reconstructions of `samples` under `mask` (null for another image size or normalised pixels), or the error. */
export async function* loadShippedMae(samples: HeldOutSamples, mask: Float32Array): AsyncGenerator<ShippedMae> {
  yield { state: "loading" };
  try {
    const { mae, meta } = await shippedMaeModel();
    try {
      const usable = mae.config.imgSize === samples.size && !mae.config.normPixLoss;
      const out = usable ? await reconstructImages(mae, samples.images, mask) : null;
      yield { state: "ready", meta, config: mae.config, parameters: mae.params.countTrainable(), step: meta?.step ?? null, out };
    } finally {
      mae.dispose();
    }
  } catch (error) {
    console.warn(`the shipped model could not be loaded: ${error}`);
    yield { state: "error", error: String((error as Error)?.message ?? error) };
  }
}

/** What the shipped model is, how it was made, and its training loss (or its final loss when the file keeps no history). */
export function ShippedMaeSummary(shipped: ShippedMae, { width = 640, file = "src/checkpoints/mae-tiny.safetensors" }: { width?: number; file?: string } = {}): HTMLElement {
  const root = el("div", { className: "maskau-shipped-mae" });
  if (shipped.state === "loading") {
    root.append(Pending({ state: "pending", message: `Loading ${file}…`, done: null, total: null }));
    return root;
  }
  if (shipped.state === "error") {
    root.append(el("p", { className: "maskau-warning", textContent: `The shipped model could not be loaded: ${shipped.error}` }));
    return root;
  }
  const { meta, config, parameters } = shipped;
  const history = (meta?.trainer?.history ?? meta?.history ?? []).map((r) => ({ step: r.step, loss: r.loss }));
  const loss = meta?.metrics?.loss;
  const hasLoss = typeof loss === "number" && Number.isFinite(loss);
  root.append(
    el(
      "p",
      {},
      "The tiny MAE in ",
      el("code", { textContent: file }),
      `: ${parameters.toLocaleString("en")} parameters, ${config.imgSize}×${config.imgSize} px faces in ${config.patchSize}×${config.patchSize} patches, trained `,
      el("b", { textContent: String(meta?.step ?? "?") }),
      " steps (last loss ",
      el("b", { textContent: hasLoss ? loss.toFixed(4) : "?" }),
      ") with ",
      el("code", { textContent: meta?.createdBy ?? "an unknown command" }),
      ".",
    ),
    LossChart(history.length ? [{ name: "shipped MAE", points: history, color: "#6b6b6b" }] : [], {
      width,
      height: 220,
      totalSteps: meta?.trainer?.config?.steps ?? meta?.step ?? 1,
      markers: !history.length && hasLoss ? [{ step: meta?.step ?? 0, loss, label: "final loss", color: "#6b6b6b" }] : [],
    }),
  );
  if (!history.length) root.append(el("p", { className: "muted", textContent: "The file holds the final weights only, without the per-step history: the diamond marks its last training loss." }));
  return root;
}

// One held-out face under an occlusion and what the four detectors of Table 2 read on it
// (the Teacher page): controls for the face and the occlusion (kept in the URL), the
// original, occluded and composite images, and the per-AU predictions as a plot and a table.
import * as Inputs from "@observablehq/inputs";
import { PREDICTION_LABELS, type FacePredictions, type HeldOutFace } from "../lib/eval/face-predictions.js";
import { CONDITIONS } from "../lib/eval/table2.js";
import type { OcclusionSpec } from "../lib/masks/spec.js";
import { el } from "./element.js";
import { CONDITION_COLORS } from "./f1-table.js";
import { ImageStrip } from "./image-strip.js";
import { PredictionPlot, PredictionTable } from "./prediction-plot.js";
import { Pending, type Progress } from "./progress.js";
import { queryInteger, queryOcclusion } from "./url-state.js";

export interface OcclusionChoice {
  face: number;
  kind: "random" | "block";
  /** Removed share: the masking ratio or the block's area. */
  amount: number;
  /** Seed of the random patches. */
  seed: number;
}

/** A held-out face (0..faces-1) and a random-patch or centred-block occlusion, starting from ?face= and ?occlusion=. */
export function OcclusionControls(faces: number): HTMLElement & { value: OcclusionChoice } {
  const initial = queryOcclusion("occlusion", "random:0.5:1");
  return Inputs.form<OcclusionChoice>({
    face: Inputs.range([0, faces - 1], { label: "Held-out face", step: 1, value: queryInteger("face", [0, faces - 1], 0) }),
    kind: Inputs.radio<OcclusionChoice["kind"]>(["random", "block"], { label: "Occlusion", value: initial.kind === "block" ? "block" : "random" }),
    amount: Inputs.range([0.1, 0.8], { label: "Removed share", step: 0.05, value: initial.kind === "block" ? initial.area : initial.kind === "random" ? initial.ratio : 0.5 }),
    seed: Inputs.number([0, 2 ** 31 - 1], { label: "Mask seed (random)", step: 1, value: initial.kind === "random" ? initial.seed : 1 }),
  });
}

/** The occlusion the controls describe: random patches, or one block at the centre. */
export function occlusionOf(choice: OcclusionChoice): OcclusionSpec {
  return choice.kind === "random"
    ? { kind: "random", ratio: choice.amount, seed: Math.trunc(choice.seed) || 0 }
    : { kind: "block", area: choice.amount, placement: "fixed", cx: 0.5, cy: 0.5, aspect: 1 };
}

/**
 * original | occluded | composite, then the four conditions' predictions (plot and table).
 * The face and its occlusion are drawn at once; the composite and the predictions are
 * placeholders until the models have run.
 */
export function FacePredictionView(v: HeldOutFace, predictions: Progress<FacePredictions>, { width = 900 }: { width?: number } = {}): HTMLElement {
  const on = v.aus.filter((_, i) => v.labels[i]).map((a) => `AU${a}`).join(" ") || "none";
  const ready = predictions.state === "ready" ? predictions.value : null;
  const strip = ImageStrip(
    [
      { title: `original (${v.subject})`, size: v.size, rgb: v.face, note: `labels: ${on}` },
      { title: `occluded (${v.masks.removed}/${v.masks.patchMask.length} patches)`, size: v.size, rgb: v.occluded },
      ready
        ? { title: "MAE composite", size: v.size, rgb: ready.composite, note: `MSE on removed patches ${ready.removedError.toFixed(3)}` }
        : { title: "MAE composite", size: v.size, pending: predictions.state === "error" ? "failed" : "reconstructing…" },
    ],
    { scale: 2.2 },
  );
  if (predictions.state !== "ready") return el("div", {}, strip, Pending(predictions));
  const { probs } = predictions.value;
  const series = CONDITIONS.map((c) => ({ name: PREDICTION_LABELS[c], color: CONDITION_COLORS[c], probs: probs[c] }));
  // Side by side when there is room (3 : 2), stacked otherwise: the table needs about 360 px.
  const wide = width >= 900;
  const plotWidth = wide ? Math.floor(((width - 24) * 3) / 5) : width;
  const table = PredictionTable(v.aus, v.labels, series.map((s) => ({ ...s, name: s.name.split(" ")[0] })));
  return el(
    "div",
    {},
    strip,
    el(
      "div",
      { className: wide ? "maskau-pred-grid" : "maskau-pred-grid maskau-stacked" },
      el("div", {}, PredictionPlot(v.aus, v.labels, series, { width: plotWidth })),
      el("div", { className: "maskau-predictions" }, table, el("p", { className: "muted", textContent: "Columns (a)–(d) as in the plot. Bold: right side of 0.5; red: wrong." })),
    ),
  );
}

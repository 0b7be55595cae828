// The face picked on a feature map: the inputs the models read (the occluded face, its MAE
// composite) and each model's probability per AU against the label. Plain data in, DOM out.
import { el } from "./element.js";
import { ImageStrip, type ImagePanel } from "./image-strip.js";
import { PredictionPlot, PredictionTable, type PredictionSeries } from "./prediction-plot.js";

export interface SelectedFaceData {
  index: number;
  subject: string;
  /** The face's occlusion, as written everywhere. */
  occlusion: string;
  /** Share of the face's patches removed (0-1). */
  removed: number;
  aus: number[];
  labels: ArrayLike<number>;
  panels: ImagePanel[];
  series: PredictionSeries[];
}

export function SelectedFace(data: SelectedFaceData, { width = 640 }: { width?: number } = {}): HTMLElement {
  const wide = width >= 720;
  const plotWidth = wide ? Math.floor(width * 0.6) : width;
  const root = el(
    "div",
    { className: "maskau-selected-face" },
    el("p", {}, el("b", { textContent: `Face ${data.index}` }), ` · subject ${data.subject} · ${data.occlusion} (${(100 * data.removed).toFixed(0)}% of the patches removed)`),
    ImageStrip(data.panels, { scale: 2 }),
    el("div", { className: `maskau-pred-grid${wide ? "" : " maskau-stacked"}` }, PredictionPlot(data.aus, data.labels, data.series, { width: plotWidth }), PredictionTable(data.aus, data.labels, data.series)),
  );
  root.dataset.face = String(data.index);
  return root;
}

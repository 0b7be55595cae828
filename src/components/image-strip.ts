// A row of square images with captions (original | occluded | reconstruction |
// composite | error heatmap ...). Takes plain data: uint8 RGB pixels, or a float
// map in [0, 1] drawn with a colour scale (cells that are not scored drawn neutral grey),
// and the legend of that scale; a panel whose image is still being computed is a
// placeholder of the same size saying what is being done.
import { el } from "./element.js";
import { Pending } from "./progress.js";

export interface ImagePanel {
  title: string;
  /** Side length in pixels of the source image. */
  size: number;
  /** [size, size, 3] uint8 RGB. */
  rgb?: Uint8Array;
  /**
   * [rows, cols] values drawn with the colour map (e.g. per-patch error), scaled by `max`;
   * with `scored`, only the cells where it is 1 are coloured and the others are NEUTRAL grey.
   */
  heat?: { values: ArrayLike<number>; rows: number; cols: number; max?: number; scored?: ArrayLike<number> };
  /** Optional one-line note under the caption (e.g. "MSE 0.031"). */
  note?: string;
  /** The image is not ready: what is being done (drawn as a placeholder with a progress bar). */
  pending?: string;
}

/** Viridis-like ramp (5 stops), enough for a per-patch error heatmap. */
const RAMP: [number, number, number][] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** The colour of a heat cell that is not scored (e.g. a visible patch of an error map): no colour of the ramp. */
export const NEUTRAL: [number, number, number] = [200, 200, 200];

export function heatColor(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  return [0, 1, 2].map((k) => Math.round(RAMP[i][k] + (RAMP[i + 1][k] - RAMP[i][k]) * f)) as [number, number, number];
}

/** Draws RGB bytes on a canvas of the image's own resolution (CSS scales it, pixelated). */
export function rgbCanvas(rgb: Uint8Array, size: number): HTMLCanvasElement {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size;
  const ctx = canvas.getContext("2d")!;
  const img = ctx.createImageData(size, size);
  for (let p = 0, q = 0; p < size * size; p++, q += 3) {
    img.data[p * 4] = rgb[q];
    img.data[p * 4 + 1] = rgb[q + 1];
    img.data[p * 4 + 2] = rgb[q + 2];
    img.data[p * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}

function heatCanvas(heat: NonNullable<ImagePanel["heat"]>): HTMLCanvasElement {
  const canvas = document.createElement("canvas");
  canvas.width = heat.cols;
  canvas.height = heat.rows;
  const ctx = canvas.getContext("2d")!;
  const img = ctx.createImageData(heat.cols, heat.rows);
  let max = heat.max ?? 0;
  if (!max) for (let i = 0; i < heat.values.length; i++) if (!heat.scored || heat.scored[i] >= 0.5) max = Math.max(max, heat.values[i]);
  for (let i = 0; i < heat.rows * heat.cols; i++) {
    const scored = !heat.scored || heat.scored[i] >= 0.5;
    const [r, g, b] = scored ? heatColor(max > 0 ? heat.values[i] / max : 0) : NEUTRAL;
    img.data.set([r, g, b, 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}

export function ImageStrip(panels: ImagePanel[], { scale = 3 } = {}): HTMLElement {
  const root = document.createElement("div");
  root.className = "maskau-image-strip";
  for (const panel of panels) {
    const figure = document.createElement("figure");
    let canvas: HTMLElement;
    if (panel.pending !== undefined) {
      canvas = Pending({ state: "pending", message: panel.pending, done: null, total: null }, { className: "maskau-panel-pending" });
    } else {
      canvas = panel.heat ? heatCanvas(panel.heat) : rgbCanvas(panel.rgb ?? new Uint8Array(panel.size * panel.size * 3), panel.size);
      canvas.style.imageRendering = "pixelated";
    }
    canvas.style.width = canvas.style.height = `${panel.size * scale}px`;
    canvas.setAttribute("aria-label", panel.title);
    const caption = document.createElement("figcaption");
    caption.textContent = panel.title;
    if (panel.note) {
      const note = document.createElement("small");
      note.textContent = panel.note;
      caption.append(document.createElement("br"), note);
    }
    figure.append(canvas, caption);
    root.append(figure);
  }
  return root;
}

export interface HeatLegendOptions {
  /** The value drawn with the ramp's last colour; larger values are drawn with it too. */
  max: number;
  /** What the colours measure, with its units (e.g. "MSE per patch, normalised pixels"). */
  label: string;
  /** What the NEUTRAL grey means (e.g. "visible patch: not scored"); no grey swatch without it. */
  neutral?: string;
  /** Number format of the ticks. */
  format?: (v: number) => string;
}

/** The colour scale of heat panels: a ramp from 0 to `max` (">= max" at the top), the label, and the grey swatch. */
export function HeatLegend({ max, label, neutral, format = (v) => String(+v.toFixed(3)) }: HeatLegendOptions): HTMLElement {
  const stops = Array.from({ length: 11 }, (_, i) => `rgb(${heatColor(i / 10).join(",")}) ${i * 10}%`);
  const ramp = el("span", { className: "maskau-heat-ramp" });
  ramp.style.background = `linear-gradient(to right, ${stops.join(", ")})`;
  const ticks = el("span", { className: "maskau-heat-ticks" }, el("span", { textContent: format(0) }), el("span", { textContent: format(max / 2) }), el("span", { textContent: `≥ ${format(max)}` }));
  const root = el("div", { className: "maskau-heat-legend" }, el("span", { className: "maskau-heat-label", textContent: label }), el("span", { className: "maskau-heat-scale" }, ramp, ticks));
  root.dataset.max = String(max);
  if (neutral) {
    const swatch = el("span", { className: "maskau-heat-swatch" });
    swatch.style.background = `rgb(${NEUTRAL.join(",")})`;
    root.append(el("span", { className: "maskau-heat-neutral" }, swatch, neutral));
  }
  return root;
}

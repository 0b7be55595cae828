// A row of square images with captions (original | occluded | reconstruction |
// composite | error heatmap ...). Takes plain data: uint8 RGB pixels, or a float
// map in [0, 1] drawn with a colour scale; a panel whose image is still being computed
// is a placeholder of the same size saying what is being done.
import { Pending } from "./progress.js";

export interface ImagePanel {
  title: string;
  /** Side length in pixels of the source image. */
  size: number;
  /** [size, size, 3] uint8 RGB. */
  rgb?: Uint8Array;
  /** [rows, cols] values drawn with the colour map (e.g. per-patch error), scaled by `max`. */
  heat?: { values: ArrayLike<number>; rows: number; cols: number; max?: number };
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
  if (!max) for (let i = 0; i < heat.values.length; i++) max = Math.max(max, heat.values[i]);
  for (let i = 0; i < heat.rows * heat.cols; i++) {
    const [r, g, b] = heatColor(max > 0 ? heat.values[i] / max : 0);
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

// Faces as canvases: a grid of dataset frames with their AU labels, and an
// identity gallery (one neutral face per subject). Takes plain arrays (the
// dataset's images and labels), returns DOM.
import type { AUDataset } from "../lib/data/dataset.js";
import type { Identity } from "../lib/data/identity.js";
import { renderFace } from "../lib/data/render.js";

/** FACS intensity letters for levels 1..5 (A trace .. E maximum). */
const LEVELS = ["", "A", "B", "C", "D", "E"];

/** A canvas showing one [size, size, 3] RGB image, drawn at `display` CSS pixels. */
export function rgbCanvas(rgb: Uint8Array, size: number, display = size): HTMLCanvasElement {
  const canvas = document.createElement("canvas");
  canvas.width = size;
  canvas.height = size;
  canvas.style.width = canvas.style.height = `${display}px`;
  const ctx = canvas.getContext("2d");
  if (ctx) {
    const img = ctx.createImageData(size, size);
    for (let p = 0, q = 0; p < size * size * 3; p += 3, q += 4) {
      img.data[q] = rgb[p];
      img.data[q + 1] = rgb[p + 1];
      img.data[q + 2] = rgb[p + 2];
      img.data[q + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }
  return canvas;
}

export type FaceGridData = Pick<
  AUDataset,
  "images" | "size" | "aus" | "labels" | "intensities" | "subjects" | "subject" | "sequence" | "frame" | "fold"
>;

export interface FaceGridOptions {
  /** Displayed side of each face in CSS pixels. Default 96. */
  display?: number;
  /** AU to highlight in the captions (e.g. the one filtered on). */
  highlight?: number | null;
}

/** A grid of the given frames, each with subject, fold and its occurring AUs (with intensity letters). */
export function FaceGrid(ds: FaceGridData, indices: readonly number[], options: FaceGridOptions = {}): HTMLElement {
  const display = options.display ?? 96;
  const A = ds.aus.length;
  const ib = ds.size * ds.size * 3;
  const grid = document.createElement("div");
  grid.className = "maskau-face-grid";
  grid.style.setProperty("--face-size", `${display}px`);
  if (indices.length === 0) {
    const empty = document.createElement("p");
    empty.className = "maskau-muted";
    empty.textContent = "No frame matches these filters.";
    grid.append(empty);
    return grid;
  }
  for (const i of indices) {
    const cell = document.createElement("figure");
    cell.className = "maskau-face";
    cell.append(rgbCanvas(ds.images.subarray(i * ib, (i + 1) * ib), ds.size, display));
    const cap = document.createElement("figcaption");
    const head = document.createElement("div");
    head.className = "maskau-face-id";
    head.textContent = `${ds.subjects[ds.subject[i]]} · fold ${ds.fold[i] + 1}`;
    head.title = `frame ${i}: subject ${ds.subjects[ds.subject[i]]}, sequence ${ds.sequence[i]}, frame ${ds.frame[i]}, test fold ${ds.fold[i] + 1}`;
    const chips = document.createElement("div");
    chips.className = "maskau-au-chips";
    for (let a = 0; a < A; a++) {
      if (!ds.labels[i * A + a]) continue;
      const chip = document.createElement("span");
      chip.className = "maskau-au-chip";
      if (options.highlight === ds.aus[a]) chip.classList.add("maskau-au-chip-hi");
      const level = ds.intensities ? ds.intensities[i * A + a] : 0;
      chip.textContent = `${ds.aus[a]}${LEVELS[level] ?? ""}`;
      chip.title = `AU${ds.aus[a]}${level ? ` intensity ${level} (${LEVELS[level]})` : ""}`;
      chips.append(chip);
    }
    if (!chips.childElementCount) {
      const none = document.createElement("span");
      none.className = "maskau-muted";
      none.textContent = "neutral";
      chips.append(none);
    }
    cap.append(head, chips);
    cell.append(cap);
    grid.append(cell);
  }
  return grid;
}

/** One neutral, aligned, clean face per identity, with its main traits. */
export function IdentityGallery(identities: readonly Identity[], options: { size?: number; display?: number } = {}): HTMLElement {
  const size = options.size ?? 64;
  const display = options.display ?? 72;
  const grid = document.createElement("div");
  grid.className = "maskau-face-grid maskau-identity-grid";
  grid.style.setProperty("--face-size", `${display}px`);
  for (const id of identities) {
    const cell = document.createElement("figure");
    cell.className = "maskau-face";
    cell.append(rgbCanvas(renderFace(id, { size }), size, display));
    const cap = document.createElement("figcaption");
    cap.className = "maskau-face-id";
    cap.textContent = id.subject;
    const rest = Object.entries(id.rest)
      .filter(([, v]) => (v ?? 0) > 0.05)
      .map(([au, v]) => `AU${au} ${(v as number).toFixed(1)}`);
    cap.title = [
      `${id.subject} (${id.sex})`,
      `hair ${id.hairStyle}, beard ${id.beard}, glasses ${id.glasses}`,
      rest.length ? `resting look: ${rest.join(", ")}` : "neutral at rest",
    ].join("\n");
    cell.append(cap);
    grid.append(cell);
  }
  return grid;
}

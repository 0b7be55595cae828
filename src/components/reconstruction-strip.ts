// The Occlusion lab's row of panels for one face: original | occluded | MAE reconstruction
// | composite | per-patch error. The face and its occlusion need no model, so they are
// drawn at once; the MAE's panels are placeholders saying what is being done until its
// reconstruction is ready.
import type { OcclusionMasks } from "../lib/masks/spec.js";
import type { ImageReconstruction } from "../lib/models/reconstruct.js";
import { el } from "./element.js";
import { ImageStrip, type ImagePanel } from "./image-strip.js";
import type { Progress } from "./progress.js";

export interface ReconstructionStripOptions {
  /** [size, size, 3] uint8: the face, and the face with the removed patches filled. */
  face: Uint8Array;
  occluded: Uint8Array;
  size: number;
  patch: number;
  masks: OcclusionMasks;
  /** The MAE's reconstruction of the face under `masks` (or the loading of the MAE). */
  reconstruction: Progress<ImageReconstruction>;
  scale?: number;
}

export function ReconstructionStrip({ face, occluded, size, patch, masks, reconstruction, scale = 2.2 }: ReconstructionStripOptions): HTMLElement {
  if (masks.removed === masks.patchMask.length) {
    return el("p", { className: "maskau-warning", textContent: "Every patch is removed: the MAE needs at least one visible patch." });
  }
  const grid = size / patch;
  const given: ImagePanel[] = [
    { title: "original", size, rgb: face },
    { title: `occluded (${masks.removed}/${masks.patchMask.length} patches)`, size, rgb: occluded },
  ];
  const titles = ["MAE reconstruction", "composite", "per-patch error"];
  if (reconstruction.state !== "ready") {
    const waiting = reconstruction.state === "error" ? `failed: ${reconstruction.error}` : reconstruction.message;
    return ImageStrip([...given, ...titles.map((title): ImagePanel => ({ title, size, pending: waiting }))], { scale });
  }
  const result = reconstruction.value;
  return ImageStrip(
    [
      ...given,
      { title: titles[0], size, rgb: result.reconstruction },
      { title: titles[1], size, rgb: result.composite, note: masks.removed ? `MSE on removed patches ${result.removedError[0].toFixed(3)}` : "nothing removed" },
      { title: titles[2], size, heat: { values: result.patchError, rows: grid, cols: grid, max: 1 }, note: "normalised pixels, 0 to 1+" },
    ],
    { scale },
  );
}

// The Occlusion lab's row of panels for one face: original | occluded | MAE reconstruction
// | composite | error on the removed patches, with the error map's colour scale and what
// the raw reconstruction shows. The face and its occlusion need no model, so they are
// drawn at once; the MAE's panels are placeholders saying what is being done until its
// reconstruction is ready.
import type { OcclusionMasks } from "../lib/masks/spec.js";
import type { ImageReconstruction } from "../lib/models/reconstruct.js";
import { el } from "./element.js";
import { HeatLegend, ImageStrip, type ImagePanel } from "./image-strip.js";
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

/** Error map values at or above this are drawn with the ramp's last colour (normalised pixels, squared). */
export const ERROR_MAP_MAX = 0.5;

/**
 * What the raw reconstruction panel shows: the MAE's loss is on the removed patches only,
 * so its predictions for the visible ones are untrained and look noisy; the composite
 * replaces them with the input's pixels, and the error map scores the removed ones only.
 */
export const RAW_RECONSTRUCTION_NOTE =
  "MAE reconstruction: the decoder's prediction of every patch, visible ones included. Its loss only ever asks for the removed patches, " +
  "so its predictions for the visible ones are untrained and often noisy: that is expected, not a fault. The composite keeps the visible " +
  "pixels instead, and the error map scores the removed patches only (visible patches are grey).";

export function ReconstructionStrip({ face, occluded, size, patch, masks, reconstruction, scale = 2.2 }: ReconstructionStripOptions): HTMLElement {
  if (masks.removed === masks.patchMask.length) {
    return el("p", { className: "maskau-warning", textContent: "Every patch is removed: the MAE needs at least one visible patch." });
  }
  const grid = size / patch;
  const given: ImagePanel[] = [
    { title: "original", size, rgb: face },
    { title: `occluded (${masks.removed}/${masks.patchMask.length} patches)`, size, rgb: occluded },
  ];
  const titles = ["MAE reconstruction (raw)", "composite", "error on removed patches"];
  const explanation = el("p", { className: "muted maskau-recon-note", textContent: RAW_RECONSTRUCTION_NOTE });
  if (reconstruction.state !== "ready") {
    const waiting = reconstruction.state === "error" ? `failed: ${reconstruction.error}` : reconstruction.message;
    return el("div", { className: "maskau-recon-strip" }, ImageStrip([...given, ...titles.map((title): ImagePanel => ({ title, size, pending: waiting }))], { scale }), explanation);
  }
  const result = reconstruction.value;
  const strip = ImageStrip(
    [
      ...given,
      { title: titles[0], size, rgb: result.reconstruction, note: "every patch, visible ones untrained" },
      { title: titles[1], size, rgb: result.composite, note: masks.removed ? `MSE on removed patches ${result.removedError[0].toFixed(3)}` : "nothing removed" },
      {
        title: titles[2],
        size,
        heat: { values: result.patchError, rows: grid, cols: grid, max: ERROR_MAP_MAX, scored: masks.patchMask },
        note: masks.removed ? "MSE per patch; visible: grey" : "nothing removed: all grey",
      },
    ],
    { scale },
  );
  const legend = HeatLegend({
    max: ERROR_MAP_MAX,
    label: "Error map: mean squared error of each removed patch against the original, in normalised pixel units (ImageNet mean and standard deviation per channel)",
    neutral: "visible patch (copied into the composite, not scored)",
  });
  return el("div", { className: "maskau-recon-strip" }, strip, legend, explanation);
}

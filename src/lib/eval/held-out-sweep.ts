// An occlusion sweep small enough for a page: several detectors scored on the first held-out
// faces of the pages' dataset under each occlusion of a list, every model reading the input
// it is meant for (the clean detector the occluded faces or their MAE composites, a teacher
// the composites, a student the occluded faces). Each face is masked, filled and
// reconstructed exactly as the feature maps and the one-face views do it (featureFaces), and
// per-AU F1 is counted as the official evaluation counts it (f1.ts). The result has the
// shape of the precomputed Fig. 3 records (fig3.ts), so one chart draws both. No DOM.
import type { HeldOutFaces } from "../data/page-dataset.js";
import type { Fill } from "../masks/fill.js";
import { formatOcclusion, parseOcclusion } from "../masks/spec.js";
import type { Detector } from "../models/detector.js";
import type { Mae } from "../models/mae.js";
import { featureFaces } from "../project/features.js";
import type { InputKind } from "./conditions.js";
import { predictImages } from "./evaluate.js";
import { AuConfusion } from "./f1.js";
import type { Fig3Point } from "./fig3.js";

/** One curve of a sweep: a detector and the input it reads. */
export interface SweepModel {
  /** "(b)".."(e)" as in Fig. 3, or any short tag. */
  condition: string;
  model: string;
  /** Where the weights come from (a shipped file, "this browser"). */
  ckpt: string;
  input: InputKind;
  detector: Detector;
}

export interface HeldOutSweep {
  /** Held-out faces scored at each occlusion. */
  faces: number;
  fill: Fill;
  aus: number[];
  occlusions: string[];
  /** One point per model and occlusion, in the order of the models, then the occlusions. */
  points: Fig3Point[];
}

export interface HeldOutSweepOptions {
  /** Reconstructs the faces for models that read composites. */
  mae?: Mae | null;
  /** The first `count` held-out faces. Default all. */
  count?: number;
  /** Paint of the removed patches. Default gray, as everywhere on the pages. */
  fill?: Fill;
  /** Faces per forward pass. Default 32. */
  batch?: number;
  /** After each occlusion's faces are ready and after each model: steps done out of occlusions x (1 + models). */
  onProgress?: (done: number, total: number, what: string) => void | Promise<void>;
}

/** Per-AU F1 of each model on the first held-out faces under each occlusion (patches of `patch` px). */
export async function heldOutSweep(models: readonly SweepModel[], faces: HeldOutFaces, occlusions: readonly string[], patch: number, options: HeldOutSweepOptions = {}): Promise<HeldOutSweep> {
  const { mae = null, fill = "gray", batch = 32 } = options;
  if (models.length === 0) throw new Error("a sweep needs at least one model");
  if (occlusions.length === 0) throw new Error("a sweep needs at least one occlusion");
  const N = faces.aus.length;
  for (const m of models) {
    if (m.detector.config.numClasses !== N) throw new Error(`${m.model} has ${m.detector.config.numClasses} outputs for ${N} labelled AUs`);
    if (m.input === "composite" && !mae) throw new Error(`${m.model} reads MAE composites: the sweep needs the MAE`);
  }
  const needsComposites = models.some((m) => m.input === "composite");
  const specs = occlusions.map((o) => parseOcclusion(o));
  const texts = specs.map(formatOcclusion);
  const total = specs.length * (1 + models.length);
  let done = 0;
  const byModel = models.map(() => [] as Fig3Point[]);
  for (let k = 0; k < specs.length; k++) {
    const f = await featureFaces(faces, specs[k], patch, needsComposites ? mae : null, { count: options.count, fill, batch });
    await options.onProgress?.(++done, total, `faces under ${texts[k]}`);
    for (let m = 0; m < models.length; m++) {
      const model = models[m];
      const images = model.input === "composite" ? f.composites : model.input === "clean" ? f.clean : f.occluded;
      const probs = await predictImages(model.detector, images, f.size, batch);
      const scores = new AuConfusion(N).add(probs, f.labels).scores();
      byModel[m].push({ condition: model.condition, model: model.model, ckpt: model.ckpt, input: model.input, occlusion: texts[k], f1: scores.f1, meanF1: scores.meanF1 });
      await options.onProgress?.(++done, total, `${model.model} under ${texts[k]}`);
    }
  }
  const count = Math.min(options.count ?? faces.frames.length, faces.frames.length);
  return { faces: count, fill, aus: faces.aus.slice(), occlusions: texts, points: byModel.flat() };
}

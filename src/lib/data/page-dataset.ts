// The dataset the pages train on and the held-out faces they show: the default synthetic
// BP4D-like identities (generator seed 1, as `maskau ... --data-seed 1`), 41 subjects with
// one video-like sequence each, subject-exclusive folds. Fold 1 is held out everywhere:
// the shipped MAE and detectors never saw its subjects, nor does a run trained in a page,
// so its faces are the ones whose reconstructions and predictions the pages show.
import type { AUDataset } from "./dataset.js";
import { foldSplit } from "./folds.js";
import { gatherImages, gatherLabels } from "./frames.js";
import { faceDatasetConfig, generateFaceDataset, type FaceDatasetConfig } from "./generate.js";

/** Seed of the synthetic generator. */
export const PAGE_DATA_SEED = 1;
/** Subjects (the BP4D count). */
export const PAGE_SUBJECTS = 41;
/** The held-out fold, 0-based (fold 1). */
export const HELD_OUT_FOLD = 0;

/** The pages' dataset: 41 subjects x 1 sequence of `frames` frames, at `size` px. */
export function pageDataConfig({ frames, size = 64 }: { frames: number; size?: number }): FaceDatasetConfig {
  return faceDatasetConfig({
    preset: "bp4d",
    seed: PAGE_DATA_SEED,
    subjects: PAGE_SUBJECTS,
    sequencesPerSubject: 1,
    framesPerSequence: frames,
    size,
  });
}

/** The held-out faces of the pages' dataset, with their labels and subjects. */
export interface HeldOutFaces {
  dataset: AUDataset;
  /** Frame indices of the held-out fold in `dataset` (a face's mask key in evaluation). */
  frames: Int32Array;
  size: number;
  /** [size, size, 3] uint8 RGB of held-out face i. */
  image(i: number): Uint8Array;
  /** 0/1 per AU of held-out face i. */
  labels(i: number): Float32Array;
  subject(i: number): string;
  /** The first `count` held-out faces, [count, size, size, 3]. */
  images(count?: number): Uint8Array;
}

/** The held-out faces of the pages' dataset with `frames` frames per subject. */
export function heldOutFaces(size: number, frames = 1): HeldOutFaces {
  const dataset = generateFaceDataset(pageDataConfig({ frames, size }));
  const held = foldSplit(dataset, HELD_OUT_FOLD).test;
  return {
    dataset,
    frames: held,
    size,
    image: (i) => gatherImages(dataset, [held[i]]),
    labels: (i) => gatherLabels(dataset, [held[i]]),
    subject: (i) => dataset.subjects[dataset.subject[held[i]]],
    images: (count = held.length) => gatherImages(dataset, held.subarray(0, count)),
  };
}

export interface HeldOutSamples {
  /** [count, size, size, 3] uint8 RGB. */
  images: Uint8Array;
  /** Subject name of each sample. */
  subjects: string[];
  count: number;
  size: number;
}

/**
 * Fixed faces of subjects that no page run trains on: the first frame of the first
 * `count` held-out subjects. The same faces for every run and for the shipped models
 * (folds depend on the generator seed and subject count only).
 */
export function heldOutSamples(size: number, count = 6): HeldOutSamples {
  const faces = heldOutFaces(size, 1);
  const n = Math.min(count, faces.frames.length);
  return { images: faces.images(n), subjects: Array.from({ length: n }, (_, i) => faces.subject(i)), count: n, size };
}

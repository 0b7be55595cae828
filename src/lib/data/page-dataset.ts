// The dataset the pages train on and the held-out faces they show: the default synthetic
// BP4D-like identities (generator seed 1, as `maskau ... --data-seed 1`), 41 subjects with
// one video-like sequence each, subject-exclusive folds. Fold 1 is held out everywhere:
// the shipped MAE and detectors never saw its subjects, nor does a run trained in a page,
// so its faces are the ones whose reconstructions and predictions the pages show.
import { PRESETS } from "./aus.js";
import { datasetIdentities, datasetSubjectFolds, faceDatasetConfig, renderSequence, type FaceDatasetConfig, type RenderedSequence } from "./generate.js";

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
  /** Frame indices of the held-out fold in the pages' dataset (a face's mask key in evaluation). */
  frames: Int32Array;
  size: number;
  /** The labelled AUs (BP4D's 12). */
  aus: number[];
  /** [size, size, 3] uint8 RGB of held-out face i. */
  image(i: number): Uint8Array;
  /** 0/1 per AU of held-out face i. */
  labels(i: number): Float32Array;
  subject(i: number): string;
  /** The first `count` held-out faces, [count, size, size, 3]. */
  images(count?: number): Uint8Array;
}

/**
 * The held-out faces of the pages' dataset with `frames` frames per subject. Nothing is
 * rendered up front: a face's sequence is drawn the first time one of its faces is asked
 * for (renderSequence: the same bytes as the whole dataset's), so a page shows its first
 * face after one subject's frames instead of all 41 subjects'.
 */
export function heldOutFaces(size: number, frames = 1): HeldOutFaces {
  const config = pageDataConfig({ frames, size });
  const subjects = datasetIdentities(config).map((id) => id.subject);
  const folds = datasetSubjectFolds(config, subjects);
  // One sequence per subject, subject-major: frame index = subject * frames + t.
  const held: number[] = [];
  for (let s = 0; s < subjects.length; s++) if (folds[s] === HELD_OUT_FOLD) for (let t = 0; t < frames; t++) held.push(s * frames + t);
  const heldFrames = Int32Array.from(held);
  const sequences = new Map<number, RenderedSequence>();
  const sequence = (i: number) => {
    if (!(i >= 0 && i < heldFrames.length)) throw new Error(`held-out face ${i} does not exist: there are ${heldFrames.length}`);
    const subject = Math.floor(heldFrames[i] / frames);
    let r = sequences.get(subject);
    if (!r) sequences.set(subject, (r = renderSequence(config, subject, 0)));
    return { r, t: heldFrames[i] % frames };
  };
  const ib = size * size * 3;
  const aus = PRESETS[config.preset].aus.slice();
  const image = (i: number) => {
    const { r, t } = sequence(i);
    return r.images.slice(t * ib, (t + 1) * ib);
  };
  return {
    frames: heldFrames,
    size,
    aus,
    image,
    labels: (i) => {
      const { r, t } = sequence(i);
      return Float32Array.from(r.labels.subarray(t * aus.length, (t + 1) * aus.length));
    },
    subject: (i) => subjects[Math.floor(heldFrames[i] / frames)],
    images: (count = heldFrames.length) => {
      const out = new Uint8Array(count * ib);
      for (let i = 0; i < count; i++) out.set(image(i), i * ib);
      return out;
    },
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

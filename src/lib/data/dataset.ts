// The dataset type every stage consumes: aligned face images with AU labels,
// subjects, sequences and subject-exclusive folds, as flat typed arrays so it
// moves cheaply between Node, workers and the browser.

/** Where a dataset came from (for summaries, caches and checkpoint metadata). */
export interface DatasetSource {
  kind: "synthetic" | "megraphau" | "csv";
  /** Generator config (synthetic) or import options, JSON-serialisable. */
  config: Record<string, unknown>;
}

export interface AUDataset {
  /** Short name, e.g. "synthetic-bp4d" or "BP4D". */
  name: string;
  /** Image side in pixels (images are square). */
  size: number;
  /** [N, size, size, 3] uint8 RGB, row-major (NHWC). */
  images: Uint8Array;
  /** AU numbers labelled, in column order (e.g. [1, 2, 4, ...]). */
  aus: number[];
  /** [N, A] occurrence labels, 0 or 1. */
  labels: Uint8Array;
  /** [N, A] FACS intensities 0..5, or null when only occurrence is known. */
  intensities: Uint8Array | null;
  /** Intensity at which an AU counts as occurring (BP4D 1, DISFA 2); null for occurrence-only data. */
  occurrenceThreshold: number | null;
  /** Subject names; `subject[i]` indexes this list. */
  subjects: string[];
  /** [N] subject index of each frame. */
  subject: Int32Array;
  /** [N] sequence id of each frame (unique within the dataset). */
  sequence: Int32Array;
  /** [N] frame number within its sequence. */
  frame: Int32Array;
  /** [N] fold 0..folds-1 in which the frame is a test frame. */
  fold: Int8Array;
  /** Number of subject-exclusive folds (3 as in the papers). */
  folds: number;
  /** Relative image paths (imports and exports); null for generated sets that have none. */
  paths: string[] | null;
  source: DatasetSource;
}

/** Number of frames. */
export function datasetLength(ds: AUDataset): number {
  return ds.subject.length;
}

/** Bytes of one image. */
export function imageBytes(ds: Pick<AUDataset, "size">): number {
  return ds.size * ds.size * 3;
}

/** Checks internal consistency (array lengths, label values, folds); throws naming the first problem. */
export function validateDataset(ds: AUDataset): void {
  const n = ds.subject.length;
  const A = ds.aus.length;
  const want = (what: string, got: number, expected: number) => {
    if (got !== expected) throw new Error(`dataset "${ds.name}": ${what} has length ${got}, expected ${expected}`);
  };
  want("images", ds.images.length, n * imageBytes(ds));
  want("labels", ds.labels.length, n * A);
  if (ds.intensities) want("intensities", ds.intensities.length, n * A);
  want("sequence", ds.sequence.length, n);
  want("frame", ds.frame.length, n);
  want("fold", ds.fold.length, n);
  if (ds.paths) want("paths", ds.paths.length, n);
  for (let i = 0; i < ds.labels.length; i++) {
    if (ds.labels[i] > 1) throw new Error(`dataset "${ds.name}": label ${ds.labels[i]} at frame ${Math.floor(i / A)} is not 0/1`);
  }
  for (let i = 0; i < n; i++) {
    if (ds.subject[i] < 0 || ds.subject[i] >= ds.subjects.length) throw new Error(`dataset "${ds.name}": frame ${i} has subject index ${ds.subject[i]} out of range`);
    if (ds.fold[i] < 0 || ds.fold[i] >= ds.folds) throw new Error(`dataset "${ds.name}": frame ${i} has fold ${ds.fold[i]}, expected 0..${ds.folds - 1}`);
  }
}

/** A new dataset holding the given frames (in the given order). */
export function subsetDataset(ds: AUDataset, indices: ArrayLike<number>): AUDataset {
  const n = indices.length;
  const A = ds.aus.length;
  const ib = imageBytes(ds);
  const images = new Uint8Array(n * ib);
  const labels = new Uint8Array(n * A);
  const intensities = ds.intensities ? new Uint8Array(n * A) : null;
  const subject = new Int32Array(n);
  const sequence = new Int32Array(n);
  const frame = new Int32Array(n);
  const fold = new Int8Array(n);
  const paths = ds.paths ? new Array<string>(n) : null;
  for (let j = 0; j < n; j++) {
    const i = indices[j];
    images.set(ds.images.subarray(i * ib, (i + 1) * ib), j * ib);
    labels.set(ds.labels.subarray(i * A, (i + 1) * A), j * A);
    if (intensities) intensities.set(ds.intensities!.subarray(i * A, (i + 1) * A), j * A);
    subject[j] = ds.subject[i];
    sequence[j] = ds.sequence[i];
    frame[j] = ds.frame[i];
    fold[j] = ds.fold[i];
    if (paths) paths[j] = ds.paths![i];
  }
  return { ...ds, images, labels, intensities, subject, sequence, frame, fold, paths, subjects: ds.subjects.slice() };
}

/** A view of one image (no copy). */
export function imageAt(ds: AUDataset, i: number): Uint8Array {
  const ib = imageBytes(ds);
  return ds.images.subarray(i * ib, (i + 1) * ib);
}

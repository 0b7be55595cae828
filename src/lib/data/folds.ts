// Subject-exclusive k-fold cross-validation, as the papers evaluate BP4D and
// DISFA (3 folds): every subject's frames are in exactly one test fold, and a
// fold's training set is the frames of all other folds.
import type { AUDataset } from "./dataset.js";
import { Rng } from "./prng.js";

/**
 * Assigns subjects to `k` folds of near-equal subject counts after a seeded
 * shuffle. Returns fold[i] for subjects[i].
 */
export function assignSubjectFolds(subjects: readonly string[], k: number, seed: number): number[] {
  if (!Number.isInteger(k) || k < 2) throw new Error(`folds must be an integer >= 2, got ${k}`);
  if (subjects.length < k) throw new Error(`cannot split ${subjects.length} subjects into ${k} subject-exclusive folds: need at least ${k} subjects`);
  const order = new Rng(seed).shuffle(subjects.map((_, i) => i));
  const fold = new Array<number>(subjects.length);
  order.forEach((s, rank) => {
    fold[s] = Math.floor((rank * k) / subjects.length);
  });
  return fold;
}

export interface FoldSplit {
  /** Frame indices for training (all folds except the test fold). */
  train: Int32Array;
  /** Frame indices of the test fold. */
  test: Int32Array;
}

/** Train and test frame indices for test fold `k` (0-based). */
export function foldSplit(ds: Pick<AUDataset, "fold" | "folds">, k: number): FoldSplit {
  if (!Number.isInteger(k) || k < 0 || k >= ds.folds) throw new Error(`fold ${k} is out of range: this dataset has folds 0..${ds.folds - 1}`);
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < ds.fold.length; i++) (ds.fold[i] === k ? test : train).push(i);
  return { train: Int32Array.from(train), test: Int32Array.from(test) };
}

/** Subjects of each fold; throws if a subject appears in two folds. */
export function subjectsByFold(ds: Pick<AUDataset, "fold" | "folds" | "subject" | "subjects">): string[][] {
  const foldOf = new Map<number, number>();
  for (let i = 0; i < ds.subject.length; i++) {
    const s = ds.subject[i];
    const f = foldOf.get(s);
    if (f === undefined) foldOf.set(s, ds.fold[i]);
    else if (f !== ds.fold[i]) {
      throw new Error(`subject ${ds.subjects[s]} appears in folds ${f} and ${ds.fold[i]}: folds must be subject-exclusive`);
    }
  }
  const out: string[][] = Array.from({ length: ds.folds }, () => []);
  for (const [s, f] of [...foldOf.entries()].sort((a, b) => a[0] - b[0])) out[f].push(ds.subjects[s]);
  return out;
}

/**
 * Splits training frames into train and validation by subject: `count` of the training
 * frames' subjects (a seeded choice) go to validation, so that choices (steps, learning
 * rates, layouts) are made without looking at the test fold. count 0: no validation set.
 */
export function validationSplit(ds: Pick<AUDataset, "subject">, train: Int32Array, count: number, seed = 0): { train: Int32Array; val: Int32Array } {
  if (count === 0) return { train, val: new Int32Array(0) };
  const subjects = [...new Set(Array.from(train, (f) => ds.subject[f]))].sort((a, b) => a - b);
  if (!Number.isInteger(count) || count < 0 || count >= subjects.length) {
    throw new Error(`validation subjects must be an integer in [0, ${subjects.length - 1}] (the training frames have ${subjects.length} subjects), got ${count}`);
  }
  const held = new Set(new Rng(seed ^ 0x7a11d).shuffle(subjects).slice(0, count));
  const keep: number[] = [];
  const val: number[] = [];
  for (const f of train) (held.has(ds.subject[f]) ? val : keep).push(f);
  return { train: Int32Array.from(keep), val: Int32Array.from(val) };
}

// Intervals for F1 over subjects: the test fold's subjects are a sample, so a mean F1 (and
// a difference between two models scored on the same faces) carries the uncertainty of
// which subjects were drawn. A subject bootstrap resamples whole subjects with
// replacement, sums each model's confusion counts over the drawn subjects (a subject drawn
// twice counts twice) and computes F1 from the sums as the official evaluation does
// (f1.ts). "Paired": both models see the same draw, so what is common to the faces cancels.
//
// Several runs (folds x seeds) pool into one estimate: a draw resamples the subjects of
// each fold once and reuses those weights for every run of that fold (the seeds of a fold
// are scored on the same subjects); the statistic is the mean over runs. The interval is
// the percentile interval of the resampled statistic. Pure TypeScript, seeded: the same
// inputs and seed give the same interval in every engine.
import { Rng } from "../data/prng.js";
import { AuConfusion, DEFAULT_THRESHOLD, f1Score } from "./f1.js";

/** Confusion counts of one model on one test set, per subject: counts[(s * N + a) * 4 + k], k = TP, FP, TN, FN. */
export interface SubjectCounts {
  subjects: string[];
  aus: number[];
  counts: Float64Array;
}

/** Per-subject confusion counts from probabilities [frames, N] and 0/1 labels [frames, N], counted as the official evaluation counts (AuConfusion). */
export function subjectCounts(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  subjectOfFrame: ArrayLike<string>,
  aus: number[],
  threshold = DEFAULT_THRESHOLD,
): SubjectCounts {
  const N = aus.length;
  const frames = subjectOfFrame.length;
  if (probs.length !== frames * N || labels.length !== frames * N) {
    throw new Error(`subjectCounts: ${frames} frames of ${N} AUs need ${frames * N} probabilities and labels, got ${probs.length} and ${labels.length}`);
  }
  const subjects = [...new Set(Array.from(subjectOfFrame))].sort();
  const index = new Map(subjects.map((s, i) => [s, i]));
  const confusion = subjects.map(() => new AuConfusion(N, threshold));
  const row = (values: ArrayLike<number>, f: number) => Array.prototype.slice.call(values, f * N, (f + 1) * N) as number[];
  for (let f = 0; f < frames; f++) confusion[index.get(subjectOfFrame[f])!].add(row(probs, f), row(labels, f));
  return { subjects, aus: aus.slice(), counts: Float64Array.from(confusion.flatMap((c) => c.table().flat())) };
}

/** Per-AU F1 and their mean from per-subject counts, each subject weighted by how often it was drawn (all 1: the plain score). */
export function weightedF1(c: SubjectCounts, weights?: ArrayLike<number>): { f1: number[]; meanF1: number } {
  const N = c.aus.length;
  const S = c.subjects.length;
  const f1: number[] = [];
  for (let a = 0; a < N; a++) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let s = 0; s < S; s++) {
      const w = weights ? weights[s] : 1;
      if (w === 0) continue;
      const o = (s * N + a) * 4;
      tp += w * c.counts[o];
      fp += w * c.counts[o + 1];
      fn += w * c.counts[o + 3];
    }
    f1.push(f1Score({ tp, fp, tn: 0, fn }));
  }
  return { f1, meanF1: f1.reduce((x, y) => x + y, 0) / N };
}

export interface Interval {
  /** The statistic on the data as it is (no resampling). */
  estimate: number;
  lo: number;
  hi: number;
  /** Standard deviation of the resampled statistic. */
  sd: number;
  level: number;
  resamples: number;
}

export interface BootstrapOptions {
  /** Default 2000. */
  resamples?: number;
  /** Default 0.95. */
  level?: number;
  /** Default 0. */
  seed?: number;
}

/** One run's counts and the fold whose subjects it was scored on (runs of a fold share draws). */
export interface RunCounts {
  fold: number;
  counts: SubjectCounts;
}

/** A pair of models scored on the same faces of one run (fold and seed). */
export interface PairedRun {
  fold: number;
  a: SubjectCounts;
  b: SubjectCounts;
}

function sameSubjects(x: SubjectCounts, y: SubjectCounts, what: string): void {
  if (x.subjects.length !== y.subjects.length || x.subjects.some((s, i) => s !== y.subjects[i])) {
    throw new Error(`${what}: the two sets of counts are over different subjects (${x.subjects.length} vs ${y.subjects.length}); a paired bootstrap needs both models scored on the same faces`);
  }
  if (x.aus.length !== y.aus.length || x.aus.some((a, i) => a !== y.aus[i])) throw new Error(`${what}: the two sets of counts have different AUs`);
}

function percentile(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * The bootstrap over subjects of a statistic of per-fold weights: `stat(weights)` gets, for
 * each fold, the multiplicity of each of its subjects (in the order of `subjectsByFold`).
 */
function bootstrap(subjectsByFold: Map<number, number>, stat: (weights: Map<number, Float64Array>) => number, options: BootstrapOptions): Interval {
  const resamples = options.resamples ?? 2000;
  const level = options.level ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 10) throw new Error(`bootstrap: resamples must be an integer >= 10, got ${resamples}`);
  if (!(level > 0 && level < 1)) throw new Error(`bootstrap: level must be in (0, 1), got ${level}`);
  const ones = new Map([...subjectsByFold].map(([fold, S]) => [fold, new Float64Array(S).fill(1)]));
  const estimate = stat(ones);
  const rng = new Rng(options.seed ?? 0);
  const values = new Float64Array(resamples);
  const weights = new Map([...subjectsByFold].map(([fold, S]) => [fold, new Float64Array(S)]));
  for (let r = 0; r < resamples; r++) {
    for (const [fold, w] of weights) {
      w.fill(0);
      const S = subjectsByFold.get(fold)!;
      for (let i = 0; i < S; i++) w[rng.int(S)]++;
    }
    values[r] = stat(weights);
  }
  const mean = values.reduce((x, y) => x + y, 0) / resamples;
  const sd = Math.sqrt(values.reduce((x, y) => x + (y - mean) ** 2, 0) / (resamples - 1));
  values.sort();
  return { estimate, lo: percentile(values, (1 - level) / 2), hi: percentile(values, 1 - (1 - level) / 2), sd, level, resamples };
}

function foldSizes(runs: { fold: number; counts: SubjectCounts }[], what: string): Map<number, number> {
  if (runs.length === 0) throw new Error(`${what}: no runs`);
  const sizes = new Map<number, number>();
  const first = new Map<number, SubjectCounts>();
  for (const r of runs) {
    const seen = first.get(r.fold);
    if (seen) sameSubjects(seen, r.counts, `${what}, fold ${r.fold}`);
    else {
      first.set(r.fold, r.counts);
      sizes.set(r.fold, r.counts.subjects.length);
    }
  }
  return sizes;
}

/** Mean F1 over runs (each run's F1 from its summed counts) with its subject-bootstrap interval. */
export function bootstrapMeanF1(runs: RunCounts[], options: BootstrapOptions = {}): Interval {
  const sizes = foldSizes(runs, "bootstrapMeanF1");
  return bootstrap(sizes, (w) => runs.reduce((sum, r) => sum + weightedF1(r.counts, w.get(r.fold)).meanF1, 0) / runs.length, options);
}

/** Mean over runs of F1(a) - F1(b), both models resampled with the same subjects: the paired interval of a difference. */
export function pairedBootstrapDiff(runs: PairedRun[], options: BootstrapOptions = {}): Interval {
  for (const r of runs) sameSubjects(r.a, r.b, `pairedBootstrapDiff, fold ${r.fold}`);
  const sizes = foldSizes(runs.map((r) => ({ fold: r.fold, counts: r.a })), "pairedBootstrapDiff");
  return bootstrap(
    sizes,
    (w) => runs.reduce((sum, r) => sum + weightedF1(r.a, w.get(r.fold)).meanF1 - weightedF1(r.b, w.get(r.fold)).meanF1, 0) / runs.length,
    options,
  );
}

export type EquivalenceVerdict = "equivalent" | "not equivalent" | "inconclusive";

/**
 * Equivalence of two models within +-margin (two one-sided tests at 5%): equivalent when
 * the 90% interval of the difference lies inside (-margin, margin); not equivalent when the 95%
 * interval lies wholly beyond the margin on one side; inconclusive otherwise.
 */
export function equivalence(runs: PairedRun[], margin: number, options: Omit<BootstrapOptions, "level"> = {}): { verdict: EquivalenceVerdict; ci90: Interval; ci95: Interval; margin: number } {
  if (!(margin > 0)) throw new Error(`equivalence: margin must be positive, got ${margin}`);
  const ci90 = pairedBootstrapDiff(runs, { ...options, level: 0.9 });
  const ci95 = pairedBootstrapDiff(runs, { ...options, level: 0.95 });
  const verdict: EquivalenceVerdict =
    ci90.lo > -margin && ci90.hi < margin ? "equivalent" : ci95.lo >= margin || ci95.hi <= -margin ? "not equivalent" : "inconclusive";
  return { verdict, ci90, ci95, margin };
}

/** Mean, sample SD and the t-based 95% interval of the mean of run-level values (e.g. 9 runs' mean F1). */
export function meanSd(values: number[]): { mean: number; sd: number; n: number; lo: number; hi: number } {
  const n = values.length;
  if (n === 0) throw new Error("meanSd: no values");
  const mean = values.reduce((x, y) => x + y, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((x, y) => x + (y - mean) ** 2, 0) / (n - 1)) : 0;
  const half = n > 1 ? (T975[Math.min(n - 1, T975.length - 1)] * sd) / Math.sqrt(n) : NaN;
  return { mean, sd, n, lo: mean - half, hi: mean + half };
}

// Two-sided 95% quantiles of Student's t by degrees of freedom (index = df); above 30, 30's (at most 4% wide of the limit 1.96).
const T975 = [NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

// The official ME-GraphAU evaluation (utils.py statistics / calc_f1_score / calc_acc):
// per-AU confusion counts at threshold pred >= 0.5 (inclusive), summed over the whole
// evaluation set, then F1 once from the sums:
//   P = TP / (TP + FP + 1e-20), R = TP / (TP + FN + 1e-20), F1 = 2PR / (P + R + 1e-20)
// (an AU without positives gets F1 = 0 and still counts in the mean), accuracy
// (TP + TN) / all, and plain means over AUs. Pure TypeScript on arrays.

export interface AuCounts {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export interface AuScores {
  f1: number[];
  acc: number[];
  meanF1: number;
  meanAcc: number;
}

export const DEFAULT_THRESHOLD = 0.5;

/** Confusion counts per AU, accumulated over batches. */
export class AuConfusion {
  readonly counts: AuCounts[];

  constructor(readonly numClasses: number, readonly threshold = DEFAULT_THRESHOLD) {
    if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`AuConfusion: numClasses must be a positive integer, got ${numClasses}`);
    this.counts = Array.from({ length: numClasses }, () => ({ tp: 0, fp: 0, tn: 0, fn: 0 }));
  }

  /** Adds a batch: pred and labels row-major [S, N]; labels must be exactly 0 or 1. */
  add(pred: ArrayLike<number>, labels: ArrayLike<number>): this {
    const n = this.numClasses;
    if (pred.length !== labels.length) throw new Error(`AuConfusion.add: ${pred.length} predictions but ${labels.length} labels`);
    if (pred.length % n !== 0) throw new Error(`AuConfusion.add: ${pred.length} values is not a whole number of ${n}-AU rows`);
    for (let k = 0; k < pred.length; k++) {
      const y = labels[k];
      if (y !== 0 && y !== 1) throw new Error(`AuConfusion.add: label ${k} (AU ${k % n}) is ${y}, not 0 or 1`);
      const positive = pred[k] >= this.threshold;
      const c = this.counts[k % n];
      if (positive) {
        if (y === 1) c.tp++;
        else c.fp++;
      } else if (y === 1) c.fn++;
      else c.tn++;
    }
    return this;
  }

  /** Counts as [N, 4] rows (TP, FP, TN, FN), as the official statistics list. */
  table(): number[][] {
    return this.counts.map((c) => [c.tp, c.fp, c.tn, c.fn]);
  }

  scores(): AuScores {
    return auScores(this.counts);
  }
}

export function f1Score({ tp, fp, fn }: AuCounts): number {
  const precision = tp / (tp + fp + 1e-20);
  const recall = tp / (tp + fn + 1e-20);
  return (2 * precision * recall) / (precision + recall + 1e-20);
}

export function accuracy({ tp, fp, tn, fn }: AuCounts): number {
  return (tp + tn) / (tp + tn + fp + fn);
}

const mean = (v: number[]) => v.reduce((a, x) => a + x, 0) / v.length;

export function auScores(counts: AuCounts[]): AuScores {
  const f1 = counts.map(f1Score);
  const acc = counts.map(accuracy);
  return { f1, acc, meanF1: mean(f1), meanAcc: mean(acc) };
}

// Diagnostics of a detector's probabilities beyond F1 at the official threshold of 0.5: the
// area under the ROC curve per AU (threshold-free: how well the model ranks faces with the AU
// above faces without it), F1 at another threshold, the threshold that maximises F1 on a set
// of faces (to be chosen on training or validation subjects, never on the test fold), and the
// share of faces predicted positive against the share that are. Pure TypeScript on arrays
// (probabilities and 0/1 labels row-major [faces, AUs]).
import { AuConfusion, f1Score } from "./f1.js";

function column(values: ArrayLike<number>, n: number, au: number): number[] {
  if (values.length % n !== 0) throw new Error(`${values.length} values is not a whole number of ${n}-AU rows`);
  if (!(Number.isInteger(au) && au >= 0 && au < n)) throw new Error(`AU index ${au} is outside 0..${n - 1}`);
  return Array.from({ length: values.length / n }, (_, i) => values[i * n + au]);
}

/**
 * Area under the ROC curve of AU `au`: the probability that a face with the AU gets a higher
 * probability than a face without it, ties counted as half (the Mann-Whitney U statistic over
 * positives x negatives, from average ranks). NaN when the AU has no positives or no negatives.
 */
export function aucRoc(probs: ArrayLike<number>, labels: ArrayLike<number>, n: number, au: number): number {
  if (probs.length !== labels.length) throw new Error(`aucRoc: ${probs.length} probabilities but ${labels.length} labels`);
  const p = column(probs, n, au);
  const y = column(labels, n, au);
  const order = p.map((_, i) => i).sort((a, b) => p[a] - p[b]);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && p[order[end + 1]] === p[order[start]]) end++;
    const rank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) {
      if (y[order[k]] === 1) {
        positives++;
        rankSum += rank;
      }
    }
    start = end + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** F1 of each AU at per-AU thresholds (pred >= threshold, the official rule at 0.5). */
export function f1AtThresholds(probs: ArrayLike<number>, labels: ArrayLike<number>, thresholds: readonly number[]): number[] {
  const n = thresholds.length;
  return thresholds.map((t, au) => f1Score(new AuConfusion(1, t).add(column(probs, n, au), column(labels, n, au)).counts[0]));
}

/** Thresholds 0.05, 0.06, ..., 0.95: where bestThresholds looks. */
export const THRESHOLD_GRID: readonly number[] = Array.from({ length: 91 }, (_, k) => (5 + k) / 100);

/** Per AU, the threshold of `grid` with the highest F1 on these faces (the first of equals). */
export function bestThresholds(probs: ArrayLike<number>, labels: ArrayLike<number>, n: number, grid: readonly number[] = THRESHOLD_GRID): number[] {
  return Array.from({ length: n }, (_, au) => {
    const p = column(probs, n, au);
    const y = column(labels, n, au);
    let best = -1;
    let at = grid[0];
    for (const t of grid) {
      const [f] = f1AtThresholds(p, y, [t]);
      if (f > best) [best, at] = [f, t];
    }
    return at;
  });
}

/** Per AU, the share of faces predicted positive at 0.5 and the share labelled positive. */
export function positiveRates(probs: ArrayLike<number>, labels: ArrayLike<number>, n: number): { predicted: number[]; labelled: number[] } {
  const share = (xs: number[]) => xs.length === 0 ? NaN : xs.filter(Boolean).length / xs.length;
  return {
    predicted: Array.from({ length: n }, (_, au) => share(column(probs, n, au).map((p) => p >= 0.5 ? 1 : 0))),
    labelled: Array.from({ length: n }, (_, au) => share(column(labels, n, au).map((y) => y === 1 ? 1 : 0))),
  };
}

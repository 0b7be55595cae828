// Whether a long session's memory grows: a least-squares line through samples taken over
// time (after a warm-up), its slope per 10 minutes, and a verdict against a threshold that
// is the larger of an absolute rate and a fraction of the metric's typical value. The
// page soak (scripts/soak-page.ts) judges TensorFlow.js's tensors and bytes, the JS heap
// after a forced collection, the DOM's nodes and the wasm memory this way. No I/O.

export interface TrendPoint {
  /** Seconds since the session started. */
  t: number;
  v: number;
}

export interface Trend {
  /** Points the line was fitted to. */
  n: number;
  first: number;
  last: number;
  min: number;
  max: number;
  median: number;
  /** Slope of the least-squares line, per 10 minutes (0 with fewer than 2 points or no spread in time). */
  slopePer10Min: number;
}

/** The least-squares trend of `points` (any order). */
export function trend(points: readonly TrendPoint[]): Trend {
  const n = points.length;
  if (n === 0) return { n: 0, first: NaN, last: NaN, min: NaN, max: NaN, median: NaN, slopePer10Min: 0 };
  const sorted = [...points].sort((a, b) => a.t - b.t);
  const vs = sorted.map((p) => p.v).sort((a, b) => a - b);
  const mt = sorted.reduce((s, p) => s + p.t, 0) / n;
  const mv = sorted.reduce((s, p) => s + p.v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of sorted) {
    sxy += (p.t - mt) * (p.v - mv);
    sxx += (p.t - mt) ** 2;
  }
  const median = n % 2 ? vs[(n - 1) / 2] : (vs[n / 2 - 1] + vs[n / 2]) / 2;
  return { n, first: sorted[0].v, last: sorted[n - 1].v, min: vs[0], max: vs[n - 1], median, slopePer10Min: sxx > 0 ? (sxy / sxx) * 600 : 0 };
}

/** When a metric counts as growing: its slope per 10 minutes exceeds both rates. */
export interface GrowthRule {
  /** Units per 10 minutes. */
  absolute: number;
  /** Fraction of the median per 10 minutes. */
  relative: number;
}

export type Verdict = "flat" | "growing" | "too few samples";

/** The rate above which `t` counts as growing under `rule`. */
export function growthThreshold(t: Trend, rule: GrowthRule): number {
  return Math.max(rule.absolute, rule.relative * Math.abs(t.median));
}

/**
 * "growing" when the line rises faster than the threshold and the last sample is above the
 * first (a slope from one early dip is not growth); "too few samples" below 3 points.
 */
export function verdict(t: Trend, rule: GrowthRule): Verdict {
  if (t.n < 3) return "too few samples";
  return t.slopePer10Min > growthThreshold(t, rule) && t.last > t.first ? "growing" : "flat";
}

// Silhouette scores: how well a labelling separates points (of a 2-D map or of the
// features themselves), as scikit-learn's silhouette_score computes them with the
// Euclidean distance. For point i of cluster A: a(i) = mean distance to the other points
// of A, b(i) = the smallest mean distance to the points of another cluster,
// s(i) = (b - a) / max(a, b), and s(i) = 0 when A has no other point. The score is the
// mean of s over all points: near 1, tight separate clusters; near 0, overlapping ones;
// below 0, points nearer another cluster than their own. No DOM.

export interface Silhouette {
  /** Mean of the per-point values; NaN with fewer than 2 clusters or no points. */
  score: number;
  /** s(i) per point. */
  perPoint: Float64Array;
  /** The number of distinct labels. */
  clusters: number;
}

/**
 * Silhouette of `labels` (one integer per point) over `points` [n, d] row-major. O(n^2 d)
 * time and O(n x clusters) memory (2,000 points in 2-D: a few ms).
 */
export function silhouette(points: ArrayLike<number>, n: number, d: number, labels: ArrayLike<number>): Silhouette {
  if (points.length !== n * d) throw new Error(`points hold ${points.length} values, not n x d = ${n} x ${d}`);
  if (labels.length !== n) throw new Error(`${labels.length} labels for ${n} points`);
  // Dense cluster ids in order of first appearance.
  const ids = new Map<number, number>();
  const cluster = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (!Number.isInteger(l)) throw new Error(`label ${i} is ${l}: labels must be whole numbers`);
    let c = ids.get(l);
    if (c === undefined) ids.set(l, (c = ids.size));
    cluster[i] = c;
  }
  const k = ids.size;
  const perPoint = new Float64Array(n);
  if (k < 2) return { score: NaN, perPoint: perPoint.fill(NaN), clusters: k };
  const size = new Int32Array(k);
  for (let i = 0; i < n; i++) size[cluster[i]]++;
  // sums[i * k + c]: the summed distance from point i to the points of cluster c.
  const sums = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) {
        const diff = points[i * d + t] - points[j * d + t];
        s += diff * diff;
      }
      const dist = Math.sqrt(s);
      sums[i * k + cluster[j]] += dist;
      sums[j * k + cluster[i]] += dist;
    }
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    const own = cluster[i];
    if (size[own] < 2) {
      perPoint[i] = 0;
      continue;
    }
    const a = sums[i * k + own] / (size[own] - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own) b = Math.min(b, sums[i * k + c] / size[c]);
    const m = Math.max(a, b);
    perPoint[i] = m > 0 ? (b - a) / m : 0;
    total += perPoint[i];
  }
  return { score: n > 0 ? total / n : NaN, perPoint, clusters: k };
}

/**
 * Per AU, the silhouette of the points split by that AU's state (0 absent, 1 present):
 * `labels` [n, N] row-major 0/1 (a value > 0 counts as present). NaN for an AU that all
 * points share.
 */
export function silhouetteByAu(points: ArrayLike<number>, n: number, d: number, labels: ArrayLike<number>, numAus: number): number[] {
  if (labels.length !== n * numAus) throw new Error(`labels hold ${labels.length} values, not n x AUs = ${n} x ${numAus}`);
  const state = new Int32Array(n);
  return Array.from({ length: numAus }, (_, au) => {
    for (let i = 0; i < n; i++) state[i] = labels[i * numAus + au] > 0 ? 1 : 0;
    return silhouette(points, n, d, state).score;
  });
}

/** The silhouette of the points grouped by identity (any string per point, e.g. the subject). */
export function silhouetteByIdentity(points: ArrayLike<number>, n: number, d: number, identities: ArrayLike<string>): number {
  const ids = new Map<string, number>();
  const labels = Int32Array.from({ length: identities.length }, (_, i) => {
    let c = ids.get(identities[i]);
    if (c === undefined) ids.set(identities[i], (c = ids.size));
    return c;
  });
  return silhouette(points, n, d, labels).score;
}

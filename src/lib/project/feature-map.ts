// One feature map as the Evaluation page shows it: which features of a detector are
// embedded (one AU's node feature, every node feature of a face, or the pooled tokens),
// what colours the points (the picked AU's label, the identity, the share of the face
// occluded), the silhouette scores beside the map (by AU state for every AU, and by
// identity), and the point nearest to a click. No DOM.
import { allNodeFeatures, auNodeFeatures, pooledTokenFeatures, type DetectorFeatures, type FeatureFaces, type FeatureMatrix } from "./features.js";
import { silhouetteByAu, silhouetteByIdentity } from "./silhouette.js";

export type MapFeatureKind = "au-node" | "all-nodes" | "tokens";
export type MapColourKind = "au" | "identity" | "ratio";

/** The [n, d] matrix a map embeds; `au` is the index of the AU among the detector's (au-node only). */
export function mapFeatures(f: DetectorFeatures, kind: MapFeatureKind, au: number): FeatureMatrix {
  if (kind === "au-node") return auNodeFeatures(f, au);
  if (kind === "all-nodes") return allNodeFeatures(f);
  if (kind === "tokens") return pooledTokenFeatures(f);
  throw new Error(`unknown map features "${String(kind)}": choose au-node, all-nodes or tokens`);
}

/** What colours the points: a category per point (AU state, identity) or a number (the share occluded, %). */
export type MapColouring =
  | { kind: "categorical"; label: string; values: string[]; domain: string[] }
  | { kind: "continuous"; label: string; values: number[]; domain: [number, number] };

/** The colour of each face of `faces`: the label of AU `au` (index), its subject, or the share of its patches removed. */
export function mapColouring(faces: Pick<FeatureFaces, "count" | "aus" | "labels" | "subjects" | "occludedFraction">, by: MapColourKind, au: number): MapColouring {
  const n = faces.count;
  const N = faces.aus.length;
  if (by === "au") {
    if (!(Number.isInteger(au) && au >= 0 && au < N)) throw new Error(`AU index ${au} does not exist: the faces are labelled with ${N} AUs`);
    const name = `AU${faces.aus[au]}`;
    const values = Array.from({ length: n }, (_, i) => (faces.labels[i * N + au] > 0 ? `${name} on` : `${name} off`));
    return { kind: "categorical", label: `${name} (label)`, values, domain: [`${name} off`, `${name} on`] };
  }
  if (by === "identity") {
    const values = faces.subjects.slice(0, n);
    return { kind: "categorical", label: "identity", values, domain: [...new Set(values)] };
  }
  if (by === "ratio") {
    const values = Array.from(faces.occludedFraction.subarray(0, n), (v) => Math.round(1000 * v) / 10);
    return { kind: "continuous", label: "occluded (% of patches)", values, domain: [Math.min(0, ...values), Math.max(1, ...values)] };
  }
  throw new Error(`unknown colouring "${String(by)}": choose au, identity or ratio`);
}

export interface MapScores {
  /** Silhouette of the map's points split by each AU's label (present / absent); NaN for an AU all faces share. */
  byAu: number[];
  /** Silhouette of the map's points grouped by subject. */
  identity: number;
}

/** Silhouette scores of a map [n, 2] by AU state (every AU) and by identity. */
export function mapScores(points: Float32Array, faces: Pick<FeatureFaces, "count" | "aus" | "labels" | "subjects">): MapScores {
  const n = faces.count;
  return {
    byAu: silhouetteByAu(points, n, 2, faces.labels.subarray(0, n * faces.aus.length), faces.aus.length),
    identity: silhouetteByIdentity(points, n, 2, faces.subjects.slice(0, n)),
  };
}

/**
 * The index of the point of `points` ([n, 2], in any coordinates, e.g. pixels) nearest to
 * (x, y), or -1 when none is within `maxDistance`. Ties go to the lower index.
 */
export function nearestPoint(points: ArrayLike<number>, x: number, y: number, maxDistance = Infinity): number {
  let best = -1;
  let bestD = maxDistance * maxDistance;
  for (let i = 0; 2 * i + 1 < points.length; i++) {
    const dx = points[2 * i] - x;
    const dy = points[2 * i + 1] - y;
    const d = dx * dx + dy * dy;
    if (d < bestD || (best < 0 && d <= bestD)) {
      best = i;
      bestD = d;
    }
  }
  return best;
}

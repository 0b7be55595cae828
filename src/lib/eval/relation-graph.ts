// The AU relation graph a detector has learned, as plain matrices for the pages:
//   ANFL (stage 1)  the FGG's top-K neighbour choice: adjacency[i][j] = share of the
//                   faces in which node j is among node i's K most similar nodes
//                   (row i always sums to about K; ties can add a neighbour)
//   MEFL (stage 2)  the edge head's 4-class probabilities per ordered pair e = i*N + j
//                   (class 2*y_i + y_j: 0 neither, 1 only j, 2 only i, 3 both), averaged
//                   over the faces, and what they imply for co-occurrence:
//                   P(AU j | AU i) = p3 / (p2 + p3), comparable with the labels'
// Both from eval-mode forwards on a batch of uint8 faces.
import * as tf from "@tensorflow/tfjs-core";
import { normalizeImages } from "../data/normalize.js";
import type { Detector } from "../models/detector.js";

export interface RelationGraph {
  head: "anfl" | "mefl";
  /** Faces averaged over. */
  faces: number;
  /** ANFL: neighbours per node (K); MEFL: null. */
  k: number | null;
  /** ANFL: [N][N] frequency of j among i's top-K neighbours; MEFL: null. */
  adjacency: number[][] | null;
  /** MEFL: [N][N][4] mean edge-class probabilities; ANFL: null. */
  edgeProbs: number[][][] | null;
  /** MEFL: [N][N] p3 / (p2 + p3) from the mean edge probabilities (diagonal 1); ANFL: null. */
  impliedConditional: number[][] | null;
}

/** Edge-class names, index = 2*y_i + y_j. */
export const EDGE_CLASSES = ["neither", "only j", "only i", "both"] as const;

function toMatrix(flat: ArrayLike<number>, n: number, scale = 1): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => flat[i * n + j] * scale));
}

/**
 * Adds the FGG's top-K choice of `b` similarity matrices [b, n, n] to `sum`: j is a
 * neighbour of i when si[i][j] reaches the K-th largest value of row i (the K-th
 * smallest for a distance), ties included, as the head does. Done on the CPU from the
 * similarities, so every backend's comparison agrees.
 */
function addTopK(sum: Float64Array, si: ArrayLike<number>, b: number, n: number, k: number, largest: boolean): void {
  const row = new Float64Array(n);
  for (let s = 0; s < b; s++) {
    for (let i = 0; i < n; i++) {
      const off = (s * n + i) * n;
      for (let j = 0; j < n; j++) row[j] = si[off + j];
      const sorted = Array.from(row).sort((x, y) => (largest ? y - x : x - y));
      const th = sorted[k - 1];
      for (let j = 0; j < n; j++) if (largest ? row[j] >= th : row[j] <= th) sum[i * n + j] += 1;
    }
  }
}

export interface RelationGraphOptions {
  /** Faces per forward. Default 32. */
  batchSize?: number;
  /** Called after each batch with the faces done; awaited (a page draws its progress there). */
  onProgress?: (done: number, total: number) => unknown;
}

/** The relation graph of `detector` averaged over uint8 faces [B, S, S, 3]. */
export async function relationGraph(detector: Detector, images: Uint8Array, { batchSize = 32, onProgress }: RelationGraphOptions = {}): Promise<RelationGraph> {
  const size = detector.config.imgSize;
  const n = detector.config.numClasses;
  const ib = size * size * 3;
  const count = images.length / ib;
  if (!Number.isInteger(count) || count < 1) throw new Error(`relationGraph: ${images.length} bytes is not a whole number of ${size} px faces`);
  const head = detector.config.head;
  const adjSum = new Float64Array(n * n);
  const edgeSum = new Float64Array(n * n * 4);
  for (let start = 0; start < count; start += batchSize) {
    const b = Math.min(batchSize, count - start);
    const { data, shape } = normalizeImages(images.subarray(start * ib, (start + b) * ib), size);
    const summed = tf.tidy(() => {
      const out = detector.forward(tf.tensor4d(data, shape), { intermediates: true });
      switch (out.kind) {
        case "anfl":
          return out.intermediates.similarity; // [B, N, N]
        case "mefl":
          return tf.sum(tf.softmax(out.edgeLogits), 0); // [N*N, 4]
      }
    });
    const values = await summed.data();
    summed.dispose();
    if (head === "anfl") addTopK(adjSum, values, b, n, detector.config.neighborNum, detector.config.metric !== "l1");
    else for (let k = 0; k < values.length; k++) edgeSum[k] += values[k];
    await onProgress?.(start + b, count);
  }
  if (head === "anfl") {
    return { head, faces: count, k: detector.config.neighborNum, adjacency: toMatrix(adjSum, n, 1 / count), edgeProbs: null, impliedConditional: null };
  }
  const edgeProbs = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => Array.from({ length: 4 }, (_, c) => edgeSum[(i * n + j) * 4 + c] / count)),
  );
  const impliedConditional = edgeProbs.map((row, i) => row.map((p, j) => (i === j ? 1 : p[3] / Math.max(1e-12, p[2] + p[3]))));
  return { head, faces: count, k: null, adjacency: null, edgeProbs, impliedConditional };
}

/** relationGraph of each detector over the same faces, one after the other, with progress over all of them. */
export async function relationGraphs(detectors: Detector[], images: Uint8Array, { batchSize = 8, onProgress }: RelationGraphOptions = {}): Promise<RelationGraph[]> {
  const out: RelationGraph[] = [];
  for (const [k, detector] of detectors.entries()) {
    out.push(await relationGraph(detector, images, { batchSize, onProgress: (done, count) => onProgress?.(k * count + done, detectors.length * count) }));
  }
  return out;
}

export interface GraphEdge {
  /** Source and target node indices. */
  source: number;
  target: number;
  weight: number;
}

/**
 * Undirected edges of a weight matrix for drawing: w(i, j) = (m[i][j] + m[j][i]) / 2,
 * self-loops dropped, the `top` heaviest kept (all when omitted), heaviest first.
 */
export function strongestEdges(matrix: number[][], { top, min = 0 }: { top?: number; min?: number } = {}): GraphEdge[] {
  const n = matrix.length;
  const edges: GraphEdge[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const w = (matrix[i][j] + matrix[j][i]) / 2;
      if (Number.isFinite(w) && w > min) edges.push({ source: i, target: j, weight: w });
    }
  }
  edges.sort((a, b) => b.weight - a.weight || a.source - b.source || a.target - b.target);
  return top === undefined ? edges : edges.slice(0, top);
}

/** What a page draws of a learned graph: the matrix that stands for it, its strongest links, and words for both. */
export interface LearnedRelations {
  matrix: number[][];
  /** What a cell of the matrix is. */
  label: string;
  /** The `top` strongest undirected links. */
  edges: GraphEdge[];
  /** What a link's weight means. */
  describe(weight: number): string;
}

/**
 * ANFL: how often j is among i's top-K neighbours; MEFL: the co-occurrence its edge head
 * implies. `top` strongest links (2 per AU is readable).
 */
export function learnedRelations(graph: RelationGraph, top: number): LearnedRelations {
  const pct = (w: number) => (100 * w).toFixed(0);
  if (graph.head === "anfl") {
    const matrix = graph.adjacency!;
    return {
      matrix,
      label: `share of faces where j is a top-${graph.k} neighbour of i`,
      edges: strongestEdges(matrix, { top }),
      describe: (w) => `top-${graph.k} neighbours on ${pct(w)}% of faces (both directions averaged)`,
    };
  }
  const matrix = graph.impliedConditional!;
  return {
    matrix,
    label: "P(AU j | AU i) implied by the edge head",
    edges: strongestEdges(matrix, { top }),
    describe: (w) => `implied P = ${pct(w)}% (both directions averaged)`,
  };
}

// Seeded 2-D maps of feature vectors: t-SNE (exact) and UMAP, from @saehrimnir/druidjs
// (pinned at 0.7.3, its last BSD-3-Clause release; README, "Libraries, and why"). The same
// features, options and seed give the same bytes every time, in Node and in the browsers:
// the library draws every random number from its own Mersenne Twister seeded by `seed`,
// nothing here reads a clock or Math.random, and the library's exp, log and pow are
// replaced by portable ones while it runs (portable-math.ts: the engines' own differ in
// the last bit between V8 versions). No DOM: pages run it in a worker (components/projection.ts) or with
// projectAsync, which yields between slices of iterations; Node calls project directly.
import { Matrix, TSNE, UMAP } from "@saehrimnir/druidjs";
import { withPortableMath } from "./portable-math.js";

export type ProjectionMethod = "tsne" | "umap";

/**
 * Above this many points "auto" picks UMAP: exact t-SNE costs O(n^2) time and memory per
 * iteration (500 iterations of 64-d points in Node on one core: 500 points 2.8 s, 1,000
 * points 11 s, 2,000 points 55 s), UMAP's epochs about O(n) after a ball-tree k-NN
 * (2,000 points: 5-7 s).
 */
export const TSNE_MAX_POINTS = 600;

export interface ProjectionOptions {
  /** "tsne", "umap" or "auto" (t-SNE up to TSNE_MAX_POINTS points, UMAP above). Default "auto". */
  method?: ProjectionMethod | "auto";
  /** Seed of every random draw (the initial layout, UMAP's negative samples). */
  seed: number;
  /** t-SNE perplexity. Default 30; at most (n - 1) / 3. */
  perplexity?: number;
  /** UMAP neighbours per point. Default 15; at most n - 1. */
  neighbours?: number;
  /** UMAP minimum distance between embedded points. Default 0.1 (umap-learn's). */
  minDist?: number;
  /** Optimisation steps: t-SNE iterations (default 500) or UMAP epochs (default 350). */
  iterations?: number;
  /** After the affinities are computed (done = 0) and after each iteration. */
  onProgress?: (done: number, total: number) => void;
}

/** The options a projection actually runs with, for n points (what a figure records). */
export interface ProjectionSettings {
  method: ProjectionMethod;
  seed: number;
  /** t-SNE only. */
  perplexity: number;
  /** UMAP only. */
  neighbours: number;
  /** UMAP only. */
  minDist: number;
  iterations: number;
}

export const PROJECTION_DEFAULTS = { perplexity: 30, neighbours: 15, minDist: 0.1, iterations: { tsne: 500, umap: 350 } } as const;

/** Resolves the defaults and the limits that depend on the number of points. */
export function projectionSettings(n: number, options: Omit<ProjectionOptions, "onProgress">): ProjectionSettings {
  const requested = options.method ?? "auto";
  if (requested !== "auto" && requested !== "tsne" && requested !== "umap") throw new Error(`unknown projection method "${String(requested)}": choose tsne, umap or auto`);
  const method: ProjectionMethod = requested === "auto" ? (n > TSNE_MAX_POINTS ? "umap" : "tsne") : requested;
  const seed = options.seed;
  if (!Number.isInteger(seed)) throw new Error(`the projection seed must be a whole number, not ${seed}`);
  const iterations = options.iterations ?? PROJECTION_DEFAULTS.iterations[method];
  if (!(Number.isInteger(iterations) && iterations >= 1)) throw new Error(`iterations must be a whole number >= 1, not ${iterations}`);
  const perplexity = options.perplexity ?? PROJECTION_DEFAULTS.perplexity;
  if (!(perplexity > 0)) throw new Error(`perplexity must be > 0, not ${perplexity}`);
  const neighbours = options.neighbours ?? PROJECTION_DEFAULTS.neighbours;
  if (!(Number.isInteger(neighbours) && neighbours >= 2)) throw new Error(`neighbours must be a whole number >= 2, not ${neighbours}`);
  const minDist = options.minDist ?? PROJECTION_DEFAULTS.minDist;
  if (!(minDist >= 0)) throw new Error(`minDist must be >= 0, not ${minDist}`);
  return {
    method,
    seed,
    perplexity: Math.max(1, Math.min(perplexity, (n - 1) / 3)),
    neighbours: Math.max(2, Math.min(neighbours, n - 1)),
    minDist,
    iterations,
  };
}

/** Fewer points than this get a fixed layout (evenly on the unit circle): neither method is defined for them. */
export const MIN_PROJECTED_POINTS = 4;

function checkFeatures(features: Float32Array, n: number, d: number): void {
  if (!(Number.isInteger(n) && n >= 0 && Number.isInteger(d) && d >= 1)) throw new Error(`features must be [n, d] with n >= 0 and d >= 1, not [${n}, ${d}]`);
  if (features.length !== n * d) throw new Error(`features hold ${features.length} values, not n x d = ${n} x ${d}`);
  for (let i = 0; i < features.length; i++) {
    if (!Number.isFinite(features[i])) throw new Error(`feature ${i % d} of point ${Math.floor(i / d)} is ${features[i]}: every value must be finite`);
  }
}

function circle(n: number): Float32Array {
  const out = new Float32Array(n * 2);
  for (let i = 0; i < n && n > 1; i++) {
    out[2 * i] = Math.cos((2 * Math.PI * i) / n);
    out[2 * i + 1] = Math.sin((2 * Math.PI * i) / n);
  }
  return out;
}

/**
 * The projection as a generator: yields the number of iterations done (0 once the
 * affinities are ready, then 1..iterations) and returns the map [n, 2] (row-major).
 * projectAsync and the worker drive it; project runs it to the end.
 */
export function* projectionSteps(features: Float32Array, n: number, d: number, options: Omit<ProjectionOptions, "onProgress">): Generator<number, Float32Array, void> {
  checkFeatures(features, n, d);
  if (n < MIN_PROJECTED_POINTS) return circle(n);
  const s = projectionSettings(n, options);
  const X = new Matrix(n, d, (i, j) => features[i * d + j]);
  // Every call into the library runs with portable exp, log and pow (portable-math.ts), so
  // that Node and the browsers give the same bits; never across a yield, where other code runs.
  const dr = withPortableMath(() =>
    s.method === "tsne"
      ? new TSNE(X, { perplexity: s.perplexity, epsilon: 10, d: 2, seed: s.seed })
      : new UMAP(X, { n_neighbors: s.neighbours, local_connectivity: 1, min_dist: s.minDist, d: 2, seed: s.seed, _n_epochs: s.iterations }),
  );
  withPortableMath(() => dr.check_init());
  yield 0;
  let Y: Matrix | undefined;
  let done = 0;
  const iterations = withPortableMath(() => dr.generator(s.iterations));
  for (;;) {
    const step = withPortableMath(() => iterations.next());
    if (step.done) break;
    Y = step.value;
    yield ++done;
  }
  const values = Y!.values;
  const out = new Float32Array(n * 2);
  for (let i = 0; i < out.length; i++) out[i] = values[i];
  return out;
}

/**
 * A seeded 2-D map of `features` ([n, d] row-major): Float32Array [n, 2]. Identical
 * output for identical features, options and seed. Runs to the end before it returns
 * (use projectAsync or the worker on a page).
 */
export function project(features: Float32Array, n: number, d: number, options: ProjectionOptions): Float32Array {
  const steps = projectionSteps(features, n, d, options);
  const total = n < MIN_PROJECTED_POINTS ? 0 : projectionSettings(n, options).iterations;
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    options.onProgress?.(r.value, total);
  }
}

export interface AsyncProjectionOptions extends ProjectionOptions {
  /** Longest run between two yields to the event loop, in ms. Default 25. */
  sliceMs?: number;
  /** Stops the projection at the next slice (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
}

/**
 * project, in slices of at most `sliceMs` between which it yields to the event loop, so a
 * page stays responsive when it runs on the main thread. One step is never cut: the
 * affinities (t-SNE: all pairwise distances, about 0.5 s for 1,000 points) and one
 * iteration run whole. Same output as project.
 */
export async function projectAsync(features: Float32Array, n: number, d: number, options: AsyncProjectionOptions): Promise<Float32Array> {
  const { sliceMs = 25, signal } = options;
  const steps = projectionSteps(features, n, d, options);
  const total = n < MIN_PROJECTED_POINTS ? 0 : projectionSettings(n, options).iterations;
  let sliceStart = performance.now();
  for (;;) {
    signal?.throwIfAborted();
    const r = steps.next();
    if (r.done) return r.value;
    options.onProgress?.(r.value, total);
    if (performance.now() - sliceStart >= sliceMs) {
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      sliceStart = performance.now();
    }
  }
}

// Seeded feature maps: the same features, options and seed give the same bytes (t-SNE and
// UMAP), another seed another map; the maps keep clusters apart; progress, the yielding and
// the worker's entry give the same map as project(); bad input is refused.
import { describe, expect, it } from "vitest";
import { MIN_PROJECTED_POINTS, project, projectAsync, projectionSettings, TSNE_MAX_POINTS } from "../../../src/lib/project/embed.js";
import { silhouette } from "../../../src/lib/project/silhouette.js";
import { runProjectionRequest, type ProjectionResponse } from "../../../src/lib/project/worker-protocol.js";

/** n points of d dims around k well-separated centres (seeded LCG), with their cluster. */
function clusters(n: number, d: number, k: number, seed = 1) {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const centres = Array.from({ length: k }, () => Array.from({ length: d }, () => rand() * 20));
  const data = new Float32Array(n * d);
  const label = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    label[i] = i % k;
    for (let j = 0; j < d; j++) data[i * d + j] = centres[i % k][j] + (rand() + rand() + rand() - 1.5);
  }
  return { data, label, n, d };
}

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe("project", () => {
  const set = clusters(90, 16, 3);

  for (const method of ["tsne", "umap"] as const) {
    it(`${method}: the same seed gives the same bytes, another seed another map, clusters kept apart`, () => {
      const options = { method, seed: 7, iterations: 120 };
      const a = project(set.data, set.n, set.d, options);
      const b = project(set.data, set.n, set.d, options);
      expect(a).toBeInstanceOf(Float32Array);
      expect(a.length).toBe(set.n * 2);
      expect(bytes(a).equals(bytes(b))).toBe(true);
      const c = project(set.data, set.n, set.d, { ...options, seed: 8 });
      expect(bytes(a).equals(bytes(c))).toBe(false);
      expect(Array.from(a).every(Number.isFinite)).toBe(true);
      expect(silhouette(a, set.n, 2, set.label).score).toBeGreaterThan(0.5);
      // The input is left as it was.
      expect(bytes(set.data).equals(bytes(clusters(90, 16, 3).data))).toBe(true);
    });
  }

  it("reports progress from 0 (affinities ready) to the last iteration", () => {
    const seen: [number, number][] = [];
    project(set.data, set.n, set.d, { method: "tsne", seed: 1, iterations: 5, onProgress: (done, total) => void seen.push([done, total]) });
    expect(seen).toEqual([0, 1, 2, 3, 4, 5].map((done) => [done, 5]));
  });

  it("projectAsync yields between slices and gives the same bytes", async () => {
    const options = { method: "umap" as const, seed: 3, iterations: 60 };
    const sync = project(set.data, set.n, set.d, options);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const progress: number[] = [];
    const async = await projectAsync(set.data, set.n, set.d, { ...options, sliceMs: 0, onProgress: (done) => void progress.push(done) });
    clearInterval(timer);
    expect(bytes(async).equals(bytes(sync))).toBe(true);
    expect(progress.at(-1)).toBe(60);
    expect(ticks).toBeGreaterThan(0);
    const controller = new AbortController();
    controller.abort(new Error("stopped"));
    await expect(projectAsync(set.data, set.n, set.d, { ...options, signal: controller.signal })).rejects.toThrow("stopped");
  });

  it("the worker's entry posts progress, then the same map (transferred)", () => {
    const options = { method: "tsne" as const, seed: 5, iterations: 30 };
    const posted: { msg: ProjectionResponse; transfer?: ArrayBuffer[] }[] = [];
    runProjectionRequest({ id: 4, features: set.data, n: set.n, d: set.d, options }, (msg, transfer) => void posted.push({ msg, transfer }));
    const last = posted.at(-1)!;
    expect(last.msg.type).toBe("done");
    if (last.msg.type !== "done") return;
    expect(bytes(last.msg.embedding).equals(bytes(project(set.data, set.n, set.d, options)))).toBe(true);
    expect(last.transfer).toEqual([last.msg.embedding.buffer]);
    const progress = posted.slice(0, -1).map((p) => p.msg);
    expect(progress[0]).toEqual({ id: 4, type: "progress", done: 0, total: 30 });
    expect(progress.at(-1)).toEqual({ id: 4, type: "progress", done: 30, total: 30 });
    const errors: ProjectionResponse[] = [];
    runProjectionRequest({ id: 5, features: set.data, n: set.n + 1, d: set.d, options }, (msg) => void errors.push(msg));
    expect(errors).toEqual([{ id: 5, type: "error", message: expect.stringMatching(/n x d/) }]);
  });

  it("settings: auto picks t-SNE up to TSNE_MAX_POINTS, limits follow n, bad options are refused", () => {
    expect(projectionSettings(TSNE_MAX_POINTS, { seed: 1 }).method).toBe("tsne");
    expect(projectionSettings(TSNE_MAX_POINTS + 1, { seed: 1 })).toMatchObject({ method: "umap", iterations: 350, neighbours: 15, minDist: 0.1 });
    expect(projectionSettings(500, { seed: 1 })).toMatchObject({ method: "tsne", iterations: 500, perplexity: 30 });
    expect(projectionSettings(10, { seed: 1, perplexity: 30, neighbours: 15 })).toMatchObject({ perplexity: 3, neighbours: 9 });
    expect(() => projectionSettings(10, { seed: 1.5 })).toThrow(/seed/);
    expect(() => projectionSettings(10, { seed: 1, iterations: 0 })).toThrow(/iterations/);
    expect(() => projectionSettings(10, { seed: 1, method: "pca" as never })).toThrow(/unknown projection method/);
  });

  it("refuses features of the wrong size or with non-finite values; lays out tiny sets on a circle", () => {
    expect(() => project(new Float32Array(10), 3, 4, { seed: 1 })).toThrow(/n x d/);
    const nan = new Float32Array(12);
    nan[5] = NaN;
    expect(() => project(nan, 3, 4, { seed: 1 })).toThrow(/feature 1 of point 1 is NaN/);
    expect(project(new Float32Array(0), 0, 4, { seed: 1 })).toEqual(new Float32Array(0));
    expect(Array.from(project(new Float32Array(4), 1, 4, { seed: 1 }))).toEqual([0, 0]);
    const three = project(new Float32Array(12), MIN_PROJECTED_POINTS - 1, 4, { seed: 1 });
    expect(three[0]).toBe(1);
    expect(three.length).toBe(6);
    // Identical points: a finite map.
    expect(Array.from(project(new Float32Array(8 * 3).fill(2), 8, 3, { seed: 1, iterations: 20 })).every(Number.isFinite)).toBe(true);
  });
});

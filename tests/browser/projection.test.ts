// Feature maps in Chromium: the site's projection worker (components/projection.ts, a module
// worker of the site under its CSP) gives the same 2-D map as lib/project's project() in
// Node for the same features, options and seed, with t-SNE and with UMAP; and the issue's
// target, 2,000 points in under 10 s, timed in the worker (UMAP, which "auto" picks above
// TSNE_MAX_POINTS points).
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { project, TSNE_MAX_POINTS, type ProjectionOptions } from "../../src/lib/project/embed.js";
import { builtModule } from "./built.js";
import { chromiumAvailable, launchChromium } from "./chromium.js";
import { openPage, type PageReport } from "./open-page.js";
import { serveStatic, type StaticServer } from "./static-server.js";

const DIST = process.env.MASKAU_DIST ?? "dist";
const run = chromiumAvailable() || process.env.CI === "true" ? describe : describe.skip;

/** Seeded clustered features [n, d]: `k` Gaussian-ish clusters (sums of uniforms from an LCG), the same in every runtime. */
function clusteredFeatures(n: number, d: number, k: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const uniform = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const centres = Array.from({ length: k * d }, () => 8 * uniform() - 4);
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) out[i * d + j] = centres[(i % k) * d + j] + (uniform() + uniform() + uniform() - 1.5);
  return out;
}

/** projectInWorker in the page, on the same features; the map and the ms it took. */
async function projectInChromium(page: Page, module: string, features: Float32Array, n: number, d: number, options: Omit<ProjectionOptions, "onProgress">): Promise<{ map: Float32Array; ms: number }> {
  // A string, so that the test runner does not rewrite the dynamic import.
  const out = (await page.evaluate(`(async () => {
    const { projectInWorker } = await import(${JSON.stringify(module)});
    const features = Float32Array.from(${JSON.stringify(Array.from(features))});
    const t0 = performance.now();
    const map = await projectInWorker(features, ${n}, ${d}, ${JSON.stringify(options)});
    return { map: Array.from(map), ms: performance.now() - t0 };
  })()`)) as { map: number[]; ms: number };
  return { map: Float32Array.from(out.map), ms: out.ms };
}

run("feature maps in Chromium", () => {
  let browser: Browser;
  let server: StaticServer;
  let page: Page;
  let report: PageReport;
  let module: string;
  beforeAll(async () => {
    if (!existsSync(`${DIST}/index.html`)) throw new Error(`${DIST}/ is missing: run \`npm run build\` first`);
    server = await serveStatic(DIST);
    browser = await launchChromium();
    module = builtModule(DIST, "components/projection");
    ({ page, report } = await openPage(browser, `${server.url}/`));
  });
  afterAll(async () => {
    await page?.close();
    await browser?.close();
    await server?.close();
  });

  for (const method of ["tsne", "umap"] as const) {
    it(`gives the same ${method} map as Node, bit for bit, for the same features and seed`, async () => {
      const n = 240;
      const d = 16;
      const features = clusteredFeatures(n, d, 4, 7);
      const options = { method, seed: 3, iterations: method === "tsne" ? 300 : 200 };
      const node = project(features, n, d, options);
      const { map } = await projectInChromium(page, module, features, n, d, options);
      let maxDiff = 0;
      for (let i = 0; i < map.length; i++) maxDiff = Math.max(maxDiff, Math.abs(map[i] - node[i]));
      console.log(`${method}, ${n} points: max |Chromium - Node| = ${maxDiff}`);
      expect(map.length).toBe(2 * n);
      expect(maxDiff).toBe(0);
      expect(Buffer.from(map.buffer).equals(Buffer.from(node.buffer))).toBe(true);
      // Another seed gives another map (the comparison could fail).
      const other = await projectInChromium(page, module, features, n, d, { ...options, seed: 4 });
      expect(Buffer.from(other.map.buffer).equals(Buffer.from(node.buffer))).toBe(false);
      expect(report.errors).toEqual([]);
    });
  }

  it("projects 2,000 points of 64 features in under 10 s in the worker (auto: UMAP above TSNE_MAX_POINTS)", async () => {
    const n = 2000;
    const d = 64;
    expect(n).toBeGreaterThan(TSNE_MAX_POINTS);
    const features = clusteredFeatures(n, d, 12, 11);
    const { map, ms } = await projectInChromium(page, module, features, n, d, { method: "auto", seed: 1 });
    console.log(`2,000 x 64-d points, UMAP (350 epochs) in the projection worker: ${(ms / 1000).toFixed(2)} s`);
    expect(map.length).toBe(2 * n);
    expect(map.every(Number.isFinite)).toBe(true);
    expect(ms).toBeLessThan(10_000);
    expect(report.errors).toEqual([]);
    expect(report.offsite).toEqual([]);
  });
});

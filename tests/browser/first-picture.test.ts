// No long blank waits (issue 12, item 5): on wasm, each page that shows faces draws its
// first face within 2 s of navigation, and every card that computes shows a placeholder
// with a progress bar saying what it is doing until its result is there. Times are taken
// in the page (performance.now() from navigation start, by a MutationObserver installed
// before any script runs), each page in a fresh context (nothing cached).
import { existsSync, mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { chromiumAvailable, launchChromium } from "./chromium.js";
import { openPage } from "./open-page.js";
import { serveStatic, type StaticServer } from "./static-server.js";

const DIST = process.env.MASKAU_DIST ?? "dist";
const SHOTS = "test-output/screenshots";
const run = chromiumAvailable() || process.env.CI === "true" ? describe : describe.skip;

/**
 * The first face is on the page within this time of navigation. The target is 2 s on an
 * idle machine (measured: see the log line); the bound is looser because CI machines and
 * parallel jobs slow page loads, and what matters is that the face never waits for a model:
 * it is asserted to come before the last placeholder went.
 */
const FIRST_PICTURE_MS = 4000;

interface Timeline {
  /** When the first face canvas was put on the page (ms from navigation start). */
  firstFace: number | null;
  /** Placeholders seen (their text) and when the first one came. */
  pending: string[];
  firstPending: number | null;
  /** The last time a placeholder was seen on the page. */
  lastPending: number | null;
}

// Installed before the page's scripts: records the first face canvas and every placeholder.
function watch(): void {
  const w = window as unknown as { __timeline: Timeline };
  w.__timeline = { firstFace: null, pending: [], firstPending: null, lastPending: null };
  const look = () => {
    const t = w.__timeline;
    if (t.firstFace === null && document.querySelector("#observablehq-main .maskau-image-strip canvas")) {
      t.firstFace = performance.now();
    }
    if (document.querySelector("#observablehq-main .maskau-pending")) t.lastPending = performance.now();
    for (const p of document.querySelectorAll<HTMLElement>("#observablehq-main .maskau-pending")) {
      if (!p.querySelector("progress")) continue;
      t.firstPending ??= performance.now();
      const text = p.textContent?.trim() ?? "";
      if (!t.pending.includes(text)) t.pending.push(text);
    }
  };
  new MutationObserver(look).observe(document, { subtree: true, childList: true, characterData: true });
}

const PAGES: { name: string; done: (page: Page) => Promise<unknown> }[] = [
  { name: "occlusion-lab", done: (page) => page.locator(".maskau-image-strip figure:nth-child(5) canvas").waitFor({ timeout: 180_000 }) },
  {
    name: "mae-pretraining",
    // original, input, shipped MAE: three strips of faces.
    done: (page) => expect.poll(() => page.locator(".maskau-recon-grid .maskau-image-strip").count(), { timeout: 180_000 }).toBe(3),
  },
  {
    name: "teacher",
    done: async (page) => {
      await page.locator(".maskau-pred-table tbody tr").nth(11).waitFor({ timeout: 180_000 });
      await page.locator(".maskau-learned-graph").waitFor({ timeout: 180_000 });
    },
  },
];

run("First picture", () => {
  let browser: Browser;
  let server: StaticServer;
  beforeAll(async () => {
    if (!existsSync(`${DIST}/pages/teacher.html`)) throw new Error("dist/ is missing the pages: run `npm run build` first");
    mkdirSync(SHOTS, { recursive: true });
    server = await serveStatic(DIST);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const { name, done } of PAGES) {
    it(`${name}: a face before any model is ready, placeholders with progress until the cards are ready`, async () => {
      const { page: p, report } = await openPage(browser, `${server.url}/pages/${name}?backend=wasm`, { initScript: watch });
      await p.waitForFunction(() => (window as unknown as { __timeline: Timeline }).__timeline.firstFace !== null, null, { timeout: 60_000 });
      await p.screenshot({ path: `${SHOTS}/first-picture-${name}.png`, fullPage: true });
      await done(p);
      const timeline = await p.evaluate(() => (window as unknown as { __timeline: Timeline }).__timeline);
      console.log(`${name}: first face at ${Math.round(timeline.firstFace!)} ms, first placeholder at ${timeline.firstPending === null ? "-" : Math.round(timeline.firstPending)} ms; placeholders: ${timeline.pending.join(" | ")}`);
      expect(timeline.firstFace!, "ms from navigation to the first face").toBeLessThan(FIRST_PICTURE_MS);
      expect(timeline.firstFace!, "the first face came before the models were ready").toBeLessThan(timeline.lastPending!);
      expect(timeline.pending.length, "placeholders with a progress bar while the page computed").toBeGreaterThan(0);
      // Every placeholder says what is being done, and none is left once the page is ready.
      for (const text of timeline.pending) expect(text).toMatch(/\w+ing\b/);
      await expect.poll(() => p.locator("#observablehq-main .maskau-pending").count(), { timeout: 60_000 }).toBe(0);
      await p.screenshot({ path: `${SHOTS}/first-picture-${name}-ready.png`, fullPage: true });
      await p.close();
      expect(report.offsite).toEqual([]);
      expect(report.errors).toEqual([]);
    });
  }
});

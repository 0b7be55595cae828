// Saved runs when the browser's storage fails, on the MAE pretraining page (wasm, a few
// small steps): IndexedDB's quota exceeded (IDBObjectStore.put stubbed in the page to
// throw QuotaExceededError, for the dataset cache and the run store alike) and a stored
// run damaged in IndexedDB by the test (its checkpoint garbled; a value that is not a run
// at all). Each gives a message naming the problem and what to do, and the page keeps
// working: the run trains to the end, a new run starts and saves, the page answers.
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { chromiumAvailable, launchChromium } from "./chromium.js";
import { openPage } from "./open-page.js";
import { serveStatic, type StaticServer } from "./static-server.js";

const DIST = process.env.MASKAU_DIST ?? "dist";
const run = chromiumAvailable() || process.env.CI === "true" ? describe : describe.skip;
const URL_SETTINGS = "backend=wasm&steps=3&batch=2&frames=1";

interface RunState {
  status: string;
  step: number;
  saved: number | null;
  message: string;
  problem: string | null;
}

async function state(page: Page): Promise<RunState> {
  return page.evaluate(() => {
    const s = document.querySelector<HTMLElement>(".maskau-run-status");
    return {
      status: s?.dataset.status ?? "",
      step: Number(s?.dataset.step ?? -1),
      saved: s?.dataset.savedStep === undefined ? null : Number(s.dataset.savedStep),
      message: s?.querySelector("p")?.textContent ?? "",
      problem: s?.querySelector(".maskau-storage-problem")?.textContent ?? null,
    };
  });
}

async function until(page: Page, what: string, ok: (s: RunState) => boolean, timeout = 180_000): Promise<RunState> {
  let last = await state(page);
  await expect.poll(async () => ok((last = await state(page))), { timeout, interval: 200, message: `${what}: ${JSON.stringify(last)}` }).toBe(true);
  return last;
}

/**
 * Starts a run and waits for it to end. `ended` says what the end looks like; a second run
 * must name more than "completed", or the previous run's state could pass for its end.
 */
async function startAndFinish(page: Page, ended: (s: RunState) => boolean = (s) => s.status === "completed"): Promise<RunState> {
  const start = page.locator(".maskau-run-controls button[name=start]");
  await expect.poll(() => start.isEnabled(), { timeout: 120_000 }).toBe(true);
  await start.click();
  return until(page, "the run to finish", (s) => ended(s) || s.status === "error");
}

/** Writes `value` (evaluated in the page) as the pretraining page's saved run in IndexedDB. */
async function storeRun(page: Page, write: string): Promise<void> {
  await page.evaluate(`new Promise((resolve, reject) => {
    const open = indexedDB.open("maskau-runs", 1);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction("runs", "readwrite");
      const store = tx.objectStore("runs");
      const get = store.get("mae-pretraining");
      get.onsuccess = () => { store.put((${write})(get.result), "mae-pretraining"); };
      tx.oncomplete = () => { db.close(); resolve(); };
      tx.onerror = () => reject(tx.error);
    };
  })`);
}

run("Storage faults", () => {
  let browser: Browser;
  let server: StaticServer;
  beforeAll(async () => {
    if (!existsSync(`${DIST}/pages/mae-pretraining.html`)) throw new Error("dist/ is missing the page: run `npm run build` first");
    server = await serveStatic(DIST);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("IndexedDB quota exceeded: the run trains on in memory with a clear message, and saves again once there is room", async () => {
    const { page, report } = await openPage(browser, `${server.url}/pages/mae-pretraining?${URL_SETTINGS}`, {
      initScript: () => {
        const w = window as unknown as { __maskauStorageFull: boolean };
        w.__maskauStorageFull = true;
        const put = IDBObjectStore.prototype.put;
        IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore["put"]>) {
          if (w.__maskauStorageFull) throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
          return put.apply(this, args);
        };
      },
    });
    // The faces cannot be cached and no step can be saved: the run still trains to the end.
    const done = await startAndFinish(page);
    expect(done).toMatchObject({ status: "completed", step: 3, saved: null });
    expect(done.problem).toMatch(/^The browser's storage for this site is full \(QuotaExceededError\), so step 3 was not saved: the run continues in memory, but a reload now would lose the run\. Free space \(clear this site's data in the browser's settings.*\), then pause to save again\.$/);
    expect(await page.evaluate(() => 6 * 7)).toBe(42);

    // Room again: the next run saves, and the message goes.
    await page.evaluate(() => void ((window as unknown as { __maskauStorageFull: boolean }).__maskauStorageFull = false));
    const again = await startAndFinish(page, (s) => s.status === "completed" && s.saved !== null);
    expect(again).toMatchObject({ status: "completed", step: 3, saved: 3, problem: null });
    await page.close();
    expect(report.offsite).toEqual([]);
    expect(report.errors).toEqual([]);
  });

  it("a damaged saved run is not offered, says why, and a new run replaces it", async () => {
    const { page, report } = await openPage(browser, `${server.url}/pages/mae-pretraining?${URL_SETTINGS}`);
    const first = await startAndFinish(page);
    expect(first).toMatchObject({ status: "completed", saved: 3 });
    const resume = page.locator(".maskau-run-controls button[name=resume]");

    const damages: [string, string, RegExp][] = [
      // The checkpoint's header garbled (bytes 8-40 of the safetensors file).
      ["garbled checkpoint", `(run) => { const c = new Uint8Array(run.checkpoint); c.fill(0xff, 8, 40); return { ...run, checkpoint: c }; }`, /could not be read \(its checkpoint is damaged: .+\), so it cannot be resumed\. Start a new run: its first save replaces it\./],
      ["checkpoint cut short", `(run) => ({ ...run, checkpoint: new Uint8Array(run.checkpoint).slice(0, 1000) })`, /could not be read \(its checkpoint is damaged: .+\), so it cannot be resumed/],
      ["not a run", `() => "garbage written over the saved run"`, /could not be read \(the saved run has an unknown format\), so it cannot be resumed/],
    ];
    for (const [what, write, expected] of damages) {
      await storeRun(page, write);
      await page.reload({ waitUntil: "load" });
      const found = await until(page, `${what}: the page to look for a saved run`, (s) => s.status === "idle" && s.problem !== null, 120_000);
      expect(found.problem, what).toMatch(expected);
      expect(found.message, what).toMatch(/could not be read/);
      expect(await resume.isVisible(), `${what}: nothing to resume`).toBe(false);
      expect(await page.evaluate(() => document.title)).toMatch(/pretraining/i);
      // The page keeps working: a new run trains and its first save replaces the damaged one.
      const fresh = await startAndFinish(page);
      expect(fresh, what).toMatchObject({ status: "completed", step: 3, saved: 3, problem: null });
    }
    // After a reload, the new run is the one offered.
    await page.reload({ waitUntil: "load" });
    await until(page, "the new run to be offered", (s) => s.status === "idle" && s.saved === 3 && s.problem === null, 120_000);
    await page.close();
    expect(report.offsite).toEqual([]);
    expect(report.errors).toEqual([]);
  });
});

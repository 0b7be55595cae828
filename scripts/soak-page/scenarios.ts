// What a long page session does, page by page, as repeated cycles of ordinary use. Each
// cycle ends in the same state, so that the memory sampled at the end of each cycle can be
// compared across the hour:
//   mae-pretraining, student-kd: a whole small run: start (a new run replaces the last),
//     train, pause, switch views, resume, ... until it completes, then the views again;
//   evaluation: run sweeps over each occlusion type, switch the feature maps' features
//     and colouring, pick a face, load two checkpoint files in turn into the teacher slot
//     (the second replaces the first), and come back to the shipped teacher.
import type { Locator, Page } from "playwright-core";

export const SOAK_PAGES = ["mae-pretraining", "student-kd", "evaluation"] as const;
export type SoakPage = (typeof SOAK_PAGES)[number];

export interface SoakContext {
  /** Names what the page is doing now (each sample carries it). */
  phase(name: string): void;
  /** Waits `ms` while the sampler keeps sampling. */
  wait(ms: number): Promise<void>;
}

export interface Scenario {
  page: SoakPage;
  /** The page's query: small settings, so that a cycle takes about a minute on two cores. */
  query: string;
  /** One cycle in words (for the report). */
  cycle: string;
  /** Resolves once the page can be used. */
  ready(page: Page): Promise<void>;
  /** One cycle, ending in the cycle's resting state. */
  run(page: Page, ctx: SoakContext): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `f` until it returns a value that is not undefined (every 250 ms), or throws after `timeout` ms naming `what`. */
async function until<T>(what: string, f: () => Promise<T | undefined>, timeout = 300_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeout) throw new Error(`timed out after ${timeout / 1000} s waiting for ${what}`);
    await sleep(250);
  }
}

interface RunState {
  status: string;
  step: number;
  message: string;
}

async function runState(page: Page): Promise<RunState> {
  return page.evaluate(() => {
    const s = document.querySelector<HTMLElement>(".maskau-run-status");
    return { status: s?.dataset.status ?? "", step: Number(s?.dataset.step ?? -1), message: s?.querySelector("p")?.textContent ?? "" };
  });
}

/** Waits for a run status in `statuses`; a run that stops with an error throws its message. */
async function untilStatus(page: Page, statuses: string[], timeout?: number): Promise<RunState> {
  return until(
    `run status ${statuses.join(" or ")}`,
    async () => {
      const s = await runState(page);
      if (s.status === "error") throw new Error(`the run stopped with an error: ${s.message}`);
      return statuses.includes(s.status) ? s : undefined;
    },
    timeout,
  );
}

/** Clicks `button` when it is enabled (a run may complete between a look and a click); whether it clicked. */
async function clickIfEnabled(button: Locator): Promise<boolean> {
  if (!(await button.isVisible()) || !(await button.isEnabled())) return false;
  return button.click({ timeout: 5_000 }).then(
    () => true,
    () => false,
  );
}

/** A whole run: start, then train `trainMs`, pause, `views`, resume, until it completes; `views` once more at the end. */
async function runCycle(page: Page, ctx: SoakContext, trainMs: number, views: (page: Page, k: number) => Promise<void>): Promise<void> {
  const controls = (name: string) => page.locator(`.maskau-run-controls button[name=${name}]`);
  await until("the Start button", async () => ((await controls("start").isEnabled()) ? true : undefined));
  ctx.phase("starting");
  await controls("start").click();
  await untilStatus(page, ["training", "completed"]);
  let lastStep = -1;
  let stalled = 0;
  for (let k = 0; ; k++) {
    ctx.phase("training");
    await ctx.wait(trainMs);
    let s = await runState(page);
    if (s.status === "completed") break;
    // A run that neither trains on nor waits paused for a few rounds is stuck: say so rather than loop.
    stalled = s.step === lastStep && s.status !== "paused" ? stalled + 1 : 0;
    lastStep = s.step;
    if (stalled >= 20) throw new Error(`the run made no progress for 20 rounds (status ${s.status}, step ${s.step})`);
    if (s.status === "training") {
      // On a loaded machine a click can land after its timeout: the run is then paused although
      // the click reported failure, which the status below shows.
      await clickIfEnabled(controls("pause"));
      s = await untilStatus(page, ["paused", "completed", "training"]);
      if (s.status === "training") s = await untilStatus(page, ["paused", "completed"], 30_000).catch(() => s);
      if (s.status === "completed") break;
    }
    if (s.status === "paused") {
      ctx.phase("paused");
      await views(page, k);
      await ctx.wait(2_000);
      await controls("resume").click();
      await untilStatus(page, ["training", "completed"]);
    }
  }
  ctx.phase("completed");
  await views(page, 0);
}

async function startEnabled(page: Page): Promise<void> {
  await until("the Start button", async () => ((await page.locator(".maskau-run-controls button[name=start]").isEnabled()) ? true : undefined), 180_000);
}

const maePretraining: Scenario = {
  page: "mae-pretraining",
  query: "steps=240&batch=4&frames=2",
  cycle: "a run of 240 steps (batch 4): start, train 15 s, pause, show the raw reconstruction or the composite, resume, ... until it completes",
  ready: startEnabled,
  run: (page, ctx) =>
    runCycle(page, ctx, 15_000, async (p, k) => {
      await p.getByLabel(k % 2 ? "composite" : "reconstruction", { exact: true }).check();
      await ctx.wait(1_000);
      await p.getByLabel("composite", { exact: true }).check();
    }),
};

const studentKd: Scenario = {
  page: "student-kd",
  query: "steps=40&batch=4&frames=2&every=10&eval=16",
  cycle: "a distillation of 40 steps (batch 4, compared with the teacher every 10 steps on 16 held-out faces): start, train 15 s, pause, pick a face in the gallery and an edge class, resume, ... until it completes",
  ready: startEnabled,
  run: (page, ctx) =>
    runCycle(page, ctx, 15_000, async (p, k) => {
      // The face view appears with the first comparison with the teacher.
      const gallery = p.locator(".maskau-kd-gallery button");
      if ((await gallery.count()) > 0) {
        await gallery.nth(k % (await gallery.count())).click({ timeout: 5_000 });
        await p.getByLabel("Edge class").selectOption({ index: k % 4 }, { timeout: 5_000 });
        await ctx.wait(1_000);
      }
    }),
};

/** The Evaluation page with nothing pending (no progress bar) and both maps drawn. */
async function settled(page: Page, what: string): Promise<void> {
  await until(
    what,
    async () => {
      const s = await page.evaluate(() => ({ pending: document.querySelectorAll(".maskau-pending").length, maps: document.querySelectorAll(".maskau-feature-map-card").length, error: document.querySelector(".maskau-checkpoint-error")?.textContent ?? null }));
      if (s.error) throw new Error(`a checkpoint file was refused: ${s.error}`);
      return s.pending === 0 && s.maps >= 2 ? true : undefined;
    },
    180_000,
  );
}

const CHECKPOINTS = "src/checkpoints";

const evaluation: Scenario = {
  page: "evaluation",
  query: "frames=2&faces=8",
  cycle: "sweeps of random patches, one block and the regions (8 faces each); the maps of pooled tokens, then one AU's node feature, coloured by identity, then AU state; a face picked on a map; two checkpoint files loaded in turn into the teacher slot, then the shipped teacher again",
  ready: (page) => settled(page, "the first feature maps"),
  async run(page, ctx) {
    ctx.phase("sweeps");
    const button = page.getByRole("button", { name: "Run sweep" });
    for (const type of ["one block", "regions", "random patches"]) {
      await page.getByLabel(type, { exact: true }).check();
      // The first sweep is asked for; from then on the page sweeps each change itself.
      await ctx.wait(1_000);
      if (await page.locator(".maskau-sweep-idle").isVisible()) await button.click();
      await ctx.wait(1_000);
      await settled(page, `the ${type} sweep`);
      await until(`the ${type} curves`, async () => ((await page.locator('.maskau-sweep-curves[data-source="browser"]').count()) > 0 ? true : undefined), 180_000);
    }
    ctx.phase("maps");
    await page.getByLabel("Features").selectOption({ label: "pooled tokens" });
    await ctx.wait(1_000);
    await settled(page, "the token maps");
    await page.getByLabel("identity", { exact: true }).check();
    await ctx.wait(1_000);
    await settled(page, "the maps by identity");
    const card = page.locator(".maskau-feature-map-card").first();
    const pixels = JSON.parse((await card.getAttribute("data-pixels")) ?? "[]") as number[];
    const svg = card.locator("svg.maskau-map-plot");
    await svg.scrollIntoViewIfNeeded();
    const box = await svg.boundingBox();
    if (box && pixels.length >= 2) {
      const scale = box.width / Number(await svg.getAttribute("width"));
      await page.mouse.click(box.x + pixels[0] * scale, box.y + pixels[1] * scale);
      await page.locator(".maskau-selected-face").waitFor({ timeout: 30_000 });
    }
    await page.getByLabel("Features").selectOption({ label: "one AU's node feature" });
    await page.getByLabel("AU state", { exact: true }).check();
    await ctx.wait(1_000);
    await settled(page, "the AU maps");
    ctx.phase("files");
    await page.getByLabel("Teacher", { exact: true }).selectOption({ label: "Load a checkpoint…" });
    for (const file of ["teacher-tiny-mefl-block0.3.safetensors", "teacher-tiny-mefl-random0.5.safetensors"]) {
      await page.getByLabel("Teacher file").setInputFiles(`${CHECKPOINTS}/${file}`);
      await until(`${file} loaded`, async () => ((await page.locator(`.maskau-checkpoint-file[data-file="${file}"]`).count()) > 0 ? true : undefined), 120_000);
      await ctx.wait(1_000);
      await settled(page, `the maps of ${file}`);
    }
    await page.getByLabel("Teacher", { exact: true }).selectOption({ label: "random:0.5" });
    ctx.phase("rest");
    await ctx.wait(1_000);
    await settled(page, "the shipped teacher's maps");
    await ctx.wait(1_000);
  },
};

export const SCENARIOS: Record<SoakPage, Scenario> = { "mae-pretraining": maePretraining, "student-kd": studentKd, evaluation };

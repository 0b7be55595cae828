// A long session on a page of the built site in Chromium (playwright-core, the browser
// tests' helpers): the page is used in cycles of ordinary work (scripts/soak-page/scenarios.ts)
// for the given time while its memory is sampled every few seconds (TensorFlow.js's live
// tensors and bytes, the wasm memory, the JS heap after a forced collection, DOM nodes,
// listeners: scripts/soak-page/sample.ts), and once more at the end of each cycle, when the
// page is back in the same state. Prints a table and a verdict per metric (flat or growing,
// with the slope per 10 minutes of a least-squares line through the cycle-end samples after
// the warm-up: src/lib/runs/soak-trend.ts), writes every sample to a JSON file, and exits 1
// when anything grew or the page logged an error.
//   npm run build && npm run soak:page -- --minutes 60 --page evaluation
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { growthThreshold, trend, verdict, type GrowthRule, type Trend, type Verdict } from "../src/lib/runs/soak-trend.js";
import { chromiumAvailable, CHROMIUM, launchChromium } from "../tests/browser/chromium.js";
import { openPage } from "../tests/browser/open-page.js";
import { serveStatic } from "../tests/browser/static-server.js";
import { memorySampler, tfjsCoreUrl, type MemorySample } from "./soak-page/sample.js";
import { SCENARIOS, SOAK_PAGES, type SoakPage } from "./soak-page/scenarios.js";

const USAGE = `usage: npm run soak:page -- [--minutes 60] [--page ${SOAK_PAGES.join("|")}] [--every 30] [--warmup MIN] [--backend wasm] [--out FILE]`;

const { values: args } = parseArgs({
  options: {
    minutes: { type: "string", default: "60" },
    page: { type: "string", default: "mae-pretraining" },
    every: { type: "string" },
    warmup: { type: "string" },
    backend: { type: "string", default: "wasm" },
    out: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const fail = (message: string): never => {
  console.error(`soak:page: ${message}\n${USAGE}`);
  process.exit(2);
};
const minutes = Number(args.minutes);
if (!(minutes > 0)) fail(`--minutes must be a positive number, got ${args.minutes}`);
if (!(SOAK_PAGES as readonly string[]).includes(args.page!)) fail(`--page must be one of ${SOAK_PAGES.join(", ")}, got ${args.page}`);
const pageName = args.page as SoakPage;
// About 120 samples over the session: every 30 s for an hour, every 10 s (the least) for a few minutes.
const every = Number(args.every ?? Math.max(10, Math.round((minutes * 60) / 120)));
if (!(every >= 1)) fail(`--every must be at least 1 second, got ${args.every}`);
// The first cycles load models, compile kernels and fill caches: the verdict leaves out the first fifth (at most 5 minutes).
const warmupMinutes = Number(args.warmup ?? Math.min(5, minutes / 5));
if (!(warmupMinutes >= 0 && warmupMinutes < minutes)) fail(`--warmup must be at least 0 and below --minutes, got ${args.warmup}`);
const out = args.out ?? `test-output/soak-page-${pageName}.json`;
const DIST = process.env.MASKAU_DIST ?? "dist";
if (!existsSync(`${DIST}/pages/${pageName}.html`)) fail(`${DIST}/ has no pages/${pageName}.html: run \`npm run build\` first`);
if (!chromiumAvailable()) fail(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set MASKAU_CHROMIUM)`);

interface Sample extends MemorySample {
  /** Seconds since the page was ready. */
  t: number;
  cycle: number;
  phase: string;
  /** Taken at the end of a cycle, in its resting state. */
  cycleEnd: boolean;
}

/** The metrics judged, how they print, and when they count as growing (per 10 minutes). */
const METRICS: { key: keyof MemorySample; label: string; unit: number; unitName: string; rule: GrowthRule }[] = [
  { key: "tensors", label: "tensors", unit: 1, unitName: "", rule: { absolute: 1, relative: 0 } },
  { key: "bytes", label: "tensor bytes", unit: 1e6, unitName: "MB", rule: { absolute: 65_536, relative: 0.005 } },
  { key: "wasmBytes", label: "wasm memory", unit: 1e6, unitName: "MB", rule: { absolute: 1e6, relative: 0.01 } },
  { key: "heapUsed", label: "JS heap (after GC)", unit: 1e6, unitName: "MB", rule: { absolute: 1e6, relative: 0.02 } },
  { key: "nodes", label: "DOM nodes", unit: 1, unitName: "", rule: { absolute: 200, relative: 0.02 } },
  { key: "listeners", label: "event listeners", unit: 1, unitName: "", rule: { absolute: 50, relative: 0.02 } },
];

const scenario = SCENARIOS[pageName];
const server = await serveStatic(DIST);
const browser = await launchChromium();
const samples: Sample[] = [];
let report: { errors: string[]; offsite: string[] } = { errors: [], offsite: [] };
let stopped: string | null = null;
const t0 = Date.now();
try {
  const opened = await openPage(browser, `${server.url}/pages/${pageName}?backend=${args.backend}&${scenario.query}`);
  const page = opened.page;
  report = opened.report;
  // "Start new run" asks before it replaces a saved run: yes.
  page.on("dialog", (d) => void d.accept());
  await scenario.ready(page);
  const sample = await memorySampler(page, tfjsCoreUrl(DIST, pageName));
  const ready = Date.now();
  const elapsed = () => (Date.now() - ready) / 1000;
  let cycle = 0;
  let phase = "ready";
  let busy = Promise.resolve();
  // One sample at a time: the periodic sampler and the cycle-end sample share the page.
  const take = (cycleEnd: boolean) =>
    (busy = busy.then(async () => {
      const m = await sample();
      samples.push({ t: elapsed(), cycle, phase, cycleEnd, ...m });
    }));
  await take(true);
  console.error(`soak:page: ${pageName} for ${minutes} min on ${args.backend}, a sample every ${every} s, verdict after the first cycle and at least ${warmupMinutes.toFixed(1)} min; each cycle: ${scenario.cycle}`);
  let timer: NodeJS.Timeout | undefined;
  let sampling = true;
  const tick = () => {
    if (sampling) timer = setTimeout(() => void take(false).catch(() => {}).then(tick), every * 1000);
  };
  tick();
  try {
    // Whole cycles: the last one started before the time is up is finished, so that the session ends at rest.
    while (elapsed() < minutes * 60) {
      cycle++;
      await scenario.run(page, { phase: (p) => (phase = p), wait: (ms) => new Promise((r) => setTimeout(r, ms)) });
      phase = "cycle end";
      await take(true);
      const last = samples[samples.length - 1];
      console.error(`  cycle ${cycle} done at ${(last.t / 60).toFixed(1)} min: ${last.tensors} tensors, ${(last.bytes / 1e6).toFixed(2)} MB, heap ${(last.heapUsed / 1e6).toFixed(1)} MB`);
    }
  } catch (e) {
    stopped = (e as Error).message;
  } finally {
    sampling = false;
    clearTimeout(timer);
    await busy.catch(() => {});
  }
  await page.close();
} finally {
  await browser.close();
  await server.close();
}

// The table: every sample, or about 40 evenly spaced ones and every cycle end when there are many.
const pad = (s: string, n: number) => s.padStart(n);
const fmt = (v: number | null, unit: number) => (v === null || !Number.isFinite(v) ? "–" : unit === 1 ? String(Math.round(v)) : (v / unit).toFixed(2));
const stride = Math.max(1, Math.ceil(samples.filter((s) => !s.cycleEnd).length / 40));
let k = 0;
const shown = samples.filter((s) => s.cycleEnd || k++ % stride === 0);
const header = `${pad("min", 6)} ${pad("cycle", 5)}  ${"phase".padEnd(10)} ${pad("tensors", 8)} ${pad("MB", 8)} ${pad("wasm MB", 8)} ${pad("heap MB", 8)} ${pad("nodes", 7)} ${pad("listen", 7)}`;
console.log(header);
for (const s of shown) {
  console.log(
    `${pad((s.t / 60).toFixed(1), 6)} ${pad(String(s.cycle), 5)}${s.cycleEnd ? "*" : " "} ${s.phase.slice(0, 10).padEnd(10)} ${pad(fmt(s.tensors, 1), 8)} ${pad(fmt(s.bytes, 1e6), 8)} ${pad(fmt(s.wasmBytes, 1e6), 8)} ${pad(fmt(s.heapUsed, 1e6), 8)} ${pad(fmt(s.nodes, 1), 7)} ${pad(fmt(s.listeners, 1), 7)}`,
  );
}
console.log("* the end of a cycle: the page back in the same state");

// The verdict: cycle ends after the warm-up, which lasts at least the first cycle (every
// sample after it when there are fewer than 3 cycle ends).
const firstEnd = samples.find((s) => s.cycleEnd && s.cycle === 1);
const warmEnd = Math.max(warmupMinutes * 60, firstEnd?.t ?? 0);
const after = samples.filter((s) => s.t >= warmEnd);
const ends = after.filter((s) => s.cycleEnd);
const basis = ends.length >= 3 ? ends : after;
const basisName = ends.length >= 3 ? `${ends.length} cycle ends` : `${after.length} samples (fewer than 3 cycle ends)`;
const verdicts: { metric: string; verdict: Verdict; trend: Trend; threshold: number; unitName: string }[] = [];
for (const m of METRICS) {
  const points = basis.filter((s) => s[m.key] !== null && Number.isFinite(s[m.key] as number)).map((s) => ({ t: s.t, v: s[m.key] as number }));
  if (points.length === 0) continue;
  const t = trend(points);
  const scaled = (v: number) => (m.unit === 1 ? v.toFixed(1) : (v / m.unit).toFixed(3));
  const threshold = growthThreshold(t, m.rule);
  const v = verdict(t, m.rule);
  verdicts.push({ metric: m.label, verdict: v, trend: t, threshold, unitName: m.unitName });
  console.log(
    `${m.label.padEnd(20)} ${v.padEnd(8)} slope ${scaled(t.slopePer10Min)}${m.unitName ? ` ${m.unitName}` : ""} per 10 min (growing above ${scaled(threshold)}); ` +
      `first ${fmt(t.first, m.unit)}, last ${fmt(t.last, m.unit)}, range ${fmt(t.min, m.unit)}-${fmt(t.max, m.unit)}`,
  );
}
const cycles = Math.max(0, ...samples.filter((s) => s.cycleEnd).map((s) => s.cycle));
const grown = verdicts.filter((v) => v.verdict === "growing").map((v) => v.metric);
const seconds = (Date.now() - t0) / 1000;
const overall = stopped ? `stopped: ${stopped}` : grown.length ? `growing: ${grown.join(", ")}` : verdicts.every((v) => v.verdict === "flat") ? "flat" : "too few samples";
console.log(`${pageName}: ${overall} (${(seconds / 60).toFixed(1)} min in all, ${cycles} cycles, ${samples.length} samples; verdict on ${basisName} from ${(warmEnd / 60).toFixed(1)} min, the end of the warm-up)`);
if (report.errors.length) console.log(`page errors:\n  ${report.errors.join("\n  ")}`);

mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  JSON.stringify(
    { page: pageName, backend: args.backend, minutes, every, warmupMinutes, warmupEndSeconds: warmEnd, cycles, cycle: scenario.cycle, query: scenario.query, seconds, overall, stopped, errors: report.errors, offsite: report.offsite, verdicts, samples },
    null,
    1,
  ) + "\n",
);
console.log(`wrote ${out}`);
process.exitCode = stopped || grown.length || report.errors.length || report.offsite.length ? 1 : 0;

// The Speed page's table: per workload, the GFLOP of a step, the median and fastest ms per
// step measured here, GFLOP/s, steps timed and live tensors, beside the recorded wasm and
// torch medians and the ratio to each (measured / recorded: above 1 is slower than the
// record). Plain data in (lib/bench/speed-compare.ts), DOM out. Each row (tr[data-workload])
// carries its numbers as data attributes (empty until measured); the root (class
// maskau-speed-table) carries data-measured, the number of workloads measured.
import type { SpeedComparison } from "../lib/bench/speed-compare.js";
import type { RecordedFigure } from "../lib/bench/reference.js";
import { el } from "./element.js";

const ms = (x: number) => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));
const ratio = (r: number | null) => (r === null ? "–" : `${r < 10 ? r.toFixed(2) : r.toFixed(1)}×`);
const recorded = (f: RecordedFigure | null) => (f ? `${ms(f.median_ms)} (${f.gflops_per_s.toFixed(1)})` : "–");

export interface SpeedTableOptions {
  /** The backend the visitor's figures ran on ("wasm · 2 threads"). */
  backend: string;
  /** Whether a run is under way (unmeasured rows say "waiting" rather than "not run"). */
  running?: boolean;
}

export function SpeedTable(rows: readonly SpeedComparison[], { backend, running = false }: SpeedTableOptions): HTMLElement {
  const head = el(
    "tr",
    {},
    ...[
      "workload",
      "GFLOP / step",
      `ms / step here, median (fastest)`,
      "GFLOP/s here",
      "steps timed",
      "live tensors (after warm-up → end)",
      "recorded wasm: ms (GFLOP/s)",
      "here / wasm",
      "recorded torch: ms (GFLOP/s)",
      "here / torch",
    ].map((t) => el("th", { textContent: t })),
  );
  const body = el("tbody");
  for (const r of rows) {
    const m = r.measured;
    const pending = running ? "waiting" : "not run";
    const tr = el(
      "tr",
      {},
      el("th", { textContent: r.workload }),
      el("td", { textContent: r.gflop < 1 ? r.gflop.toFixed(3) : r.gflop.toFixed(2) }),
      el("td", { className: "maskau-speed-here", textContent: m ? `${ms(m.medianMs)} (${ms(m.minMs)})` : pending }),
      el("td", { className: "maskau-speed-here", textContent: m ? m.gflopsPerS.toFixed(1) : "–" }),
      el("td", { textContent: m ? String(m.steps) : "–" }),
      el("td", { textContent: m ? `${m.tensors[0]} → ${m.tensors[1]}` : "–" }),
      el("td", { textContent: recorded(r.wasm) }),
      el("td", { textContent: ratio(r.vsWasm) }),
      el("td", { textContent: recorded(r.torch) }),
      el("td", { textContent: ratio(r.vsTorch) }),
    );
    const d = tr.dataset;
    d.workload = r.workload;
    d.gflop = String(r.gflop);
    d.medianMs = m ? String(m.medianMs) : "";
    d.minMs = m ? String(m.minMs) : "";
    d.gflops = m ? String(m.gflopsPerS) : "";
    d.steps = m ? String(m.steps) : "";
    d.tensors = m ? m.tensors.join(",") : "";
    d.wasmMs = r.wasm ? String(r.wasm.median_ms) : "";
    d.torchMs = r.torch ? String(r.torch.median_ms) : "";
    d.vsWasm = r.vsWasm === null ? "" : String(r.vsWasm);
    d.vsTorch = r.vsTorch === null ? "" : String(r.vsTorch);
    body.append(tr);
  }
  const root = el(
    "div",
    { className: "maskau-table-scroll maskau-speed-table" },
    el("table", {}, el("thead", {}, head), body),
    el("p", { className: "muted", textContent: `Here: ${backend}. Ratios are this browser's median ms over the recorded median (below 1: faster than the record).` }),
  );
  root.dataset.measured = String(rows.filter((r) => r.measured).length);
  return root;
}

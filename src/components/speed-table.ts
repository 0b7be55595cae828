// The Speed page's table: per workload, the median and fastest ms per step measured here,
// GFLOP/s and live tensors, beside the recorded wasm and torch medians (with their GFLOP/s)
// and the ratio to each (measured / recorded: above 1 is slower than the record). Plain data in (lib/bench/speed-compare.ts), DOM out. Each row (tr[data-workload])
// carries its numbers as data attributes (empty until measured); the root (class
// maskau-speed-table) carries data-measured, the number of workloads measured.
import type { SpeedComparison } from "../lib/bench/speed-compare.js";
import type { RecordedFigure } from "../lib/bench/reference.js";
import { el } from "./element.js";

const ms = (x: number) => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));
const ratio = (r: number | null) => (r === null ? "–" : `${r < 10 ? r.toFixed(2) : r.toFixed(1)}×`);
/** A recorded median, its GFLOP/s under it. */
const recorded = (f: RecordedFigure | null) =>
  f
    ? el("td", { title: `median ${f.median_ms.toFixed(1)} ms, fastest ${f.min_ms.toFixed(1)} ms` }, ms(f.median_ms), el("br"), el("span", { className: "muted", textContent: `${f.gflops_per_s.toFixed(1)} GFLOP/s` }))
    : el("td", { textContent: "–" });

export interface SpeedTableOptions {
  /** The backend the visitor's figures ran on ("wasm · 2 threads"). */
  backend: string;
  /** Whether a run is under way (unmeasured rows say "waiting" rather than "not run"). */
  running?: boolean;
}

export function SpeedTable(rows: readonly SpeedComparison[], { backend, running = false }: SpeedTableOptions): HTMLElement {
  // Eight narrow columns, live tensors last (a narrow window scrolls to them): the GFLOP of a step is in
  // the settings and the workload's tooltip, the steps timed in the median's tooltip.
  const head = el(
    "tr",
    {},
    ...["workload", "ms / step here: median (fastest)", "GFLOP/s here", "recorded wasm ms", "here / wasm", "recorded torch ms", "here / torch", "live tensors: warm-up → end"].map((t) =>
      el("th", { textContent: t }),
    ),
  );
  const body = el("tbody");
  for (const r of rows) {
    const m = r.measured;
    const pending = running ? "waiting" : "not run";
    const tr = el(
      "tr",
      {},
      el("th", { textContent: r.workload, title: `${r.gflop < 1 ? r.gflop.toFixed(3) : r.gflop.toFixed(2)} GFLOP per step` }),
      el("td", { className: "maskau-speed-here", textContent: m ? `${ms(m.medianMs)} (${ms(m.minMs)})` : pending, title: m ? `${m.steps} timed steps` : "" }),
      el("td", { className: "maskau-speed-here", textContent: m ? m.gflopsPerS.toFixed(1) : "–" }),
      recorded(r.wasm),
      el("td", { textContent: ratio(r.vsWasm) }),
      recorded(r.torch),
      el("td", { textContent: ratio(r.vsTorch) }),
      el("td", { textContent: m ? `${m.tensors[0]} → ${m.tensors[1]}` : "–" }),
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

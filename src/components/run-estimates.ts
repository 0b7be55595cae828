// How long typical runs would take: each run's steps × the median ms per step of the
// workload that stands for its step, from this browser's figures and the recorded ones.
// Plain data in (lib/bench/speed-compare.ts estimateRuns), DOM out; rows tr[data-workload]
// carry data-seconds (empty until measured).
import type { RunEstimate } from "../lib/bench/speed-compare.js";
import { formatDuration } from "../lib/train/throughput.js";
import { el } from "./element.js";

export function RunEstimates(estimates: readonly RunEstimate[], { backend }: { backend: string }): HTMLElement {
  const head = el("tr", {}, ...["run: the workload that stands for its step, and how it differs", "steps", `here (${backend})`, "recorded wasm", "recorded torch"].map((t) => el("th", { textContent: t })));
  const body = el("tbody");
  for (const e of estimates) {
    const tr = el(
      "tr",
      {},
      el("th", {}, e.label, el("br"), el("span", { className: "muted maskau-speed-caveat", textContent: `${e.workload}: ${e.caveat}` })),
      el("td", { textContent: e.steps.toLocaleString("en") }),
      el("td", { className: "maskau-speed-here", textContent: e.seconds === null ? "not run" : `≈ ${formatDuration(e.seconds)}` }),
      el("td", { textContent: e.wasmSeconds === null ? "–" : `≈ ${formatDuration(e.wasmSeconds)}` }),
      el("td", { textContent: e.torchSeconds === null ? "–" : `≈ ${formatDuration(e.torchSeconds)}` }),
    );
    tr.dataset.workload = e.workload;
    tr.dataset.steps = String(e.steps);
    tr.dataset.seconds = e.seconds === null ? "" : String(e.seconds);
    body.append(tr);
  }
  return el("div", { className: "maskau-table-scroll maskau-speed-table maskau-run-estimates" }, el("table", {}, el("thead", {}, head), body));
}

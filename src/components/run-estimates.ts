// How long typical runs would take: each run's steps × the median ms per step of the
// workload that stands for its step, from this browser's figures and the recorded ones.
// Plain data in (lib/bench/speed-compare.ts estimateRuns), DOM out; rows tr[data-workload]
// carry data-seconds (empty until measured).
import type { RunEstimate } from "../lib/bench/speed-compare.js";
import { formatDuration } from "../lib/train/throughput.js";
import { el } from "./element.js";

export function RunEstimates(estimates: readonly RunEstimate[], { backend }: { backend: string }): HTMLElement {
  const head = el("tr", {}, ...["run", "steps", "workload", `here (${backend})`, "recorded wasm", "recorded torch", "how the workload differs"].map((t) => el("th", { textContent: t })));
  const body = el("tbody");
  for (const e of estimates) {
    const tr = el(
      "tr",
      {},
      el("th", { textContent: e.label }),
      el("td", { textContent: e.steps.toLocaleString("en") }),
      el("td", { textContent: e.workload }),
      el("td", { className: "maskau-speed-here", textContent: e.seconds === null ? "not run" : `≈ ${formatDuration(e.seconds)}` }),
      el("td", { textContent: e.wasmSeconds === null ? "–" : `≈ ${formatDuration(e.wasmSeconds)}` }),
      el("td", { textContent: e.torchSeconds === null ? "–" : `≈ ${formatDuration(e.torchSeconds)}` }),
      el("td", { className: "maskau-speed-caveat", textContent: e.caveat }),
    );
    tr.dataset.workload = e.workload;
    tr.dataset.steps = String(e.steps);
    tr.dataset.seconds = e.seconds === null ? "" : String(e.seconds);
    body.append(tr);
  }
  return el("div", { className: "maskau-table-scroll maskau-speed-table maskau-run-estimates" }, el("table", {}, el("thead", {}, head), body));
}

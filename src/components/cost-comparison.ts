// What the teacher and the student cost per face (the paper's Table 4 argument), for the
// tiny models the page runs: parameters and multiply-accumulates from the configs
// (lib/eval/costs.ts tinyTable), and the milliseconds per face measured on the running
// backend (tinyLatency), side by side, with the clean detector for reference.
import { allParams } from "../lib/models/cost.js";
import type { CostTable, LatencyResult } from "../lib/eval/costs.js";
import { el } from "./element.js";

export type MeasuredLatency = Record<"detector" | "teacher" | "student", LatencyResult>;

const mmacs = (macs: number) => (macs / 1e6).toFixed(2);

/**
 * A row per model (clean detector, teacher = MAE + detector on the composite, student):
 * parameters, MMACs as MaskAU runs them and as the official code's modules count them, and
 * ms per face (median, fastest in brackets) when measured, for the occlusion `measuredFor`
 * (the teacher's MAE encodes the visible patches only); `pending`: a measurement is under
 * way (else the cells ask for one). The root (class maskau-cost-table) carries data-measured.
 */
export function CostComparison(
  table: CostTable,
  latency: MeasuredLatency | null,
  { backend, occlusion, measuredFor = occlusion, pending = latency === null }: { backend: string; occlusion: string; measuredFor?: string; pending?: boolean },
): HTMLElement {
  const timed = measuredFor === occlusion ? `ms / face (${backend})` : `ms / face (${backend}, measured for ${measuredFor})`;
  const head = el("tr", {}, ...["model", `what runs per face (${occlusion})`, "parameters", "MMACs", "MMACs (modules)", timed].map((t) => el("th", { textContent: t })));
  const body = el("tbody");
  for (const row of table.rows) {
    const key = row.key as keyof MeasuredLatency;
    const t = latency?.[key];
    const tr = el(
      "tr",
      { className: row.key === "detector" ? "maskau-cost-ref" : "" },
      el("th", { textContent: row.label }),
      el("td", { className: "maskau-cost-what", textContent: row.what }),
      el("td", { textContent: allParams(row.total).toLocaleString("en") }),
      el("td", { textContent: mmacs(row.total.macs) }),
      el("td", { textContent: mmacs(row.total.moduleMacs) }),
      el("td", { textContent: t ? `${t.msPerFace.toFixed(1)} (${t.minMsPerFace.toFixed(1)})` : pending ? "measuring…" : "press Measure" }),
    );
    tr.dataset.model = row.key;
    body.append(tr);
  }
  const root = el("div", { className: "maskau-table-scroll maskau-cost-table" }, el("table", {}, el("thead", {}, head), body));
  root.dataset.measured = String(latency !== null);
  return root;
}

// `maskau costs`: the paper's Table 4 (GMACs and parameters of ME-GraphAU, the teacher
// and the student) computed from the configs (src/lib/models/cost.ts), for the tiny models
// MaskAU trains and for the paper's full-size models, beside the paper's figures; with
// --latency, the measured time per face of the tiny models on each Node backend that
// initialises here (WebGPU on SwiftShader is a software device and is labelled so).
// docs/table4.md is this command's output with the commentary.
import { Command, InvalidArgumentError } from "commander";
import { fullTable, tinyLatency, tinyTable, type CostTable, type LatencyResult } from "../../src/lib/eval/costs.js";
import { allParams, type Cost } from "../../src/lib/models/cost.js";
import { backendLabel, isBackendName, type BackendName } from "../../src/lib/tf/backend.js";
import { initNodeBackend } from "../../src/lib/tf/node.js";

export interface BackendLatency {
  backend: BackendName;
  /** What ran ("wasm · 2 threads", "webgpu · google/swiftshader"), when it initialised. */
  label?: string;
  /** A software WebGPU device (SwiftShader): 40-100x slower than wasm, not a GPU figure. */
  software?: boolean;
  error?: string;
  /** Per tiny row key (detector, teacher, student). */
  results?: Record<string, LatencyResult>;
}

export interface CostsReport {
  tiny: CostTable;
  full: CostTable;
  latency?: { batch: number; warmup: number; runs: number; backends: BackendLatency[] };
}

export interface CostsOptions {
  latency: boolean;
  backends: BackendName[];
  batch: number;
  warmup: number;
  runs: number;
  maskRatio: number;
  numClasses: number;
}

export const DEFAULT_COSTS_OPTIONS: CostsOptions = { latency: false, backends: ["wasm", "cpu", "webgpu"], batch: 1, warmup: 3, runs: 20, maskRatio: 0.5, numClasses: 12 };

export async function costsReport(options: Partial<CostsOptions> = {}, onBackend?: (b: BackendName) => void): Promise<CostsReport> {
  const o = { ...DEFAULT_COSTS_OPTIONS, ...options };
  const report: CostsReport = { tiny: tinyTable(o), full: fullTable(o) };
  if (!o.latency) return report;
  const backends: BackendLatency[] = [];
  for (const backend of o.backends) {
    onBackend?.(backend);
    let info;
    try {
      info = await initNodeBackend(backend);
      if (info.name !== backend) throw new Error(`asked for ${backend}, got ${info.name}`);
    } catch (e) {
      backends.push({ backend, error: e instanceof Error ? e.message : String(e) });
      continue;
    }
    const results = await tinyLatency({ batch: o.batch, warmup: o.warmup, runs: o.runs, numClasses: o.numClasses, maskRatio: o.maskRatio });
    backends.push({ backend, label: backendLabel(info), software: info.software === true, results });
  }
  report.latency = { batch: o.batch, warmup: o.warmup, runs: o.runs, backends };
  return report;
}

const gmacs = (macs: number) => macs / 1e9;
const fmtG = (g: number, size: CostTable["size"]) => (size === "tiny" ? g.toFixed(4) : g.toFixed(2));
const fmtParams = (n: number, size: CostTable["size"]) => (size === "tiny" ? `${n.toLocaleString("en-US")}` : `${(n / 1e6).toFixed(2)} M`);

function pad(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => "  " + r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ").trimEnd()).join("\n");
}

function costCells(c: Cost, size: CostTable["size"]): string[] {
  return [fmtParams(allParams(c), size), fmtG(gmacs(c.macs), size), fmtG(gmacs(c.moduleMacs), size)];
}

export function formatTable(t: CostTable, { parts = false, latency }: { parts?: boolean; latency?: CostsReport["latency"] } = {}): string {
  const title =
    t.size === "tiny"
      ? `Tiny models (${t.imgSize} px, ${t.numClasses} AUs; the teacher's MAE encodes ${t.visiblePatches[0]} of ${t.visiblePatches[1]} patches)`
      : `Full size (${t.imgSize} px, ${t.numClasses} AUs; the teacher's MAE encodes ${t.visiblePatches[0]} of ${t.visiblePatches[1]} patches)`;
  const ok = (latency?.backends ?? []).filter((b) => b.results);
  const header = ["model", "params", "GMACs", "GMACs (modules)"];
  if (t.size === "full") header.push("paper GMACs", "paper params");
  for (const b of ok) header.push(`${b.backend}${b.software ? " (software)" : ""} ms/face`);
  const rows: string[][] = [header];
  for (const r of t.rows) {
    const row = [r.label, ...costCells(r.total, t.size)];
    if (t.size === "full") row.push(r.paper ? r.paper.gmacs.toFixed(2) : "", r.paper ? `${r.paper.paramsM.toFixed(2)} M` : "");
    for (const b of ok) row.push(b.results![r.key] ? b.results![r.key].msPerFace.toFixed(2) : "");
    rows.push(row);
    if (parts) for (const p of r.parts) rows.push([`  ${p.name}`, ...costCells(p.cost, t.size)]);
  }
  const lines = [title, pad(rows)];
  for (const r of t.rows) lines.push(`  ${r.label}: ${r.what}`);
  return lines.join("\n");
}

export function formatCosts(report: CostsReport, { parts = false }: { parts?: boolean } = {}): string {
  const out = [formatTable(report.tiny, { parts, latency: report.latency }), "", formatTable(report.full, { parts })];
  out.push(
    "",
    "params: every parameter tensor (PyTorch's model.parameters(), the MAE's fixed position embeddings included; no buffers).",
    "GMACs: the matrix products MaskAU runs (attention's q k^T and attn v included); GMACs (modules): the nn.Linear / nn.Conv2d",
    "calls of the official PyTorch code for the same config (what thop-style profilers count, the paper's convention).",
  );
  const l = report.latency;
  if (l) {
    out.push("", `Latency: median of ${l.runs} forwards after ${l.warmup} warm-up, batch ${l.batch}, fresh weights, per face.`);
    for (const b of l.backends) {
      if (b.error) out.push(`  ${b.backend}: not available here (${b.error})${b.backend === "webgpu" ? "; MASKAU_WEBGPU=swiftshader runs it on the SwiftShader software device" : ""}`);
      else out.push(`  ${b.backend}: ${b.label}${b.software ? " - a software device on the CPU (40-100x slower than wasm), not a GPU figure" : ""}`);
    }
  }
  return out.join("\n");
}

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be an integer >= 1`);
    return n;
  };
}

export function costsCommand(): Command {
  return new Command("costs")
    .description("Table 4: parameters and GMACs of ME-GraphAU, the teacher and the student (tiny and full size), and the tiny models' latency per face")
    .option("--json", "machine-readable output")
    .option("--parts", "break each model down into its parts")
    .option("--latency", "time the tiny models on each backend")
    .option("--backends <list>", "backends to time, comma-separated", "wasm,cpu,webgpu")
    .option("--batch <n>", "faces per forward when timing", positiveInt("--batch"), 1)
    .option("--warmup <n>", "untimed forwards first", (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("--warmup must be an integer >= 0");
      return n;
    }, 3)
    .option("--runs <n>", "timed forwards per model", positiveInt("--runs"), 20)
    .option("--mask-ratio <r>", "fraction of patches occluded (the teacher's MAE encodes the rest)", (v) => {
      const r = Number(v);
      if (!(r >= 0 && r < 1)) throw new InvalidArgumentError("--mask-ratio must be in [0, 1)");
      return r;
    }, 0.5)
    .option("--num-classes <n>", "AUs", positiveInt("--num-classes"), 12)
    .action(async (opts: { json?: boolean; parts?: boolean; latency?: boolean; backends: string; batch: number; warmup: number; runs: number; maskRatio: number; numClasses: number }) => {
      const backends = opts.backends.split(",").map((s) => s.trim()).filter(Boolean);
      for (const b of backends) if (!isBackendName(b) || b === "webgl") throw new Error(`--backends: "${b}" is not a Node backend (wasm, cpu, webgpu)`);
      const report = await costsReport(
        { latency: !!opts.latency, backends: backends as BackendName[], batch: opts.batch, warmup: opts.warmup, runs: opts.runs, maskRatio: opts.maskRatio, numClasses: opts.numClasses },
        opts.json ? undefined : (b) => process.stderr.write(`timing the tiny models on ${b} ...\n`),
      );
      process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + "\n" : formatCosts(report, { parts: !!opts.parts }) + "\n");
    });
}

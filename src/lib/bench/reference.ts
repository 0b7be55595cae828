// The recorded benchmark figures the Speed page shows beside the visitor's own
// (src/data/bench-reference.json, written by `maskau bench --record FILE`): one wasm run of
// the shared workloads and the PyTorch CPU anchor of the same invocation, with the machine
// they were measured on, so a figure always says where it comes from and which command
// rebuilds it. Plain data, no I/O.
import type { AnchorReport } from "./anchor.js";

/** One workload's figures on one runtime. */
export interface RecordedFigure {
  median_ms: number;
  min_ms: number;
  gflops_per_s: number;
}

export interface RecordedWorkload {
  /** Matrix-product GFLOP of one step (the same count on both runtimes). */
  gflop: number;
  wasm: RecordedFigure | null;
  torch: RecordedFigure | null;
}

export interface BenchReference {
  /** Day of the measurement, YYYY-MM-DD. */
  measured: string;
  /** The command that rebuilds this file. */
  command: string;
  machine: { cpu: string; cores: number; node: string };
  /** What else is worth knowing about the conditions (an idle machine, other load). */
  note?: string;
  /** The wasm backend as it ran ("wasm · 2 threads"). */
  backend: string;
  torch: { version: string; threads: number; blas: string } | null;
  warmup: number;
  iters: number;
  workloads: Record<string, RecordedWorkload>;
}

/** A row of `maskau bench`'s report (cli/commands/bench.ts), as far as the record reads it. */
export interface BenchReportRow {
  workload: string;
  backend: string;
  median_ms: number;
  min_ms: number;
  gflop: number;
  gflops_per_s: number;
}

export interface BenchReportLike {
  rows: BenchReportRow[];
  anchor: AnchorReport | null;
  warmup: number;
  iters: number;
}

/**
 * The record of a bench report: its wasm rows and the anchor's figures per workload. Throws
 * when the report has no wasm row (the page compares the visitor's machine with wasm).
 */
export function benchReference(
  report: BenchReportLike,
  { measured, command, machine, note }: Pick<BenchReference, "measured" | "command" | "machine" | "note">,
): BenchReference {
  const wasmRows = report.rows.filter((r) => r.backend.startsWith("wasm"));
  if (wasmRows.length === 0) throw new Error("the report has no wasm rows to record (run with --backends wasm)");
  const figure = (r: { median_ms: number; min_ms: number; gflops_per_s: number }): RecordedFigure => ({
    median_ms: r.median_ms,
    min_ms: r.min_ms,
    gflops_per_s: r.gflops_per_s,
  });
  const workloads: Record<string, RecordedWorkload> = {};
  for (const row of wasmRows) {
    const torch = report.anchor?.workloads[row.workload];
    workloads[row.workload] = { gflop: row.gflop, wasm: figure(row), torch: torch ? figure(torch) : null };
  }
  const a = report.anchor;
  return {
    measured,
    command,
    machine,
    ...(note ? { note } : {}),
    backend: wasmRows[0].backend,
    torch: a ? { version: a.torch, threads: a.threads, blas: a.blas } : null,
    warmup: report.warmup,
    iters: report.iters,
    workloads,
  };
}

const isFigure = (f: unknown): f is RecordedFigure => {
  const x = f as RecordedFigure | null;
  return !!x && [x.median_ms, x.min_ms, x.gflops_per_s].every((v) => typeof v === "number" && Number.isFinite(v) && v > 0);
};

/** Checks the shape of a bench-reference.json, naming what is wrong. */
export function checkBenchReference(json: unknown, source = "bench-reference.json"): BenchReference {
  const r = json as Partial<BenchReference> | null;
  if (!r || typeof r !== "object") throw new Error(`${source}: not a JSON object`);
  if (typeof r.measured !== "string" || typeof r.command !== "string" || typeof r.backend !== "string" || !r.machine || typeof r.workloads !== "object" || r.workloads === null) {
    throw new Error(`${source}: needs measured, command, machine, backend and workloads (written by maskau bench --record)`);
  }
  for (const [name, w] of Object.entries(r.workloads)) {
    if (!(typeof w?.gflop === "number" && w.gflop > 0)) throw new Error(`${source}: workload ${name} has no GFLOP count`);
    for (const side of ["wasm", "torch"] as const) {
      if (w[side] !== null && !isFigure(w[side])) throw new Error(`${source}: workload ${name}: ${side} needs positive median_ms, min_ms and gflops_per_s (or null)`);
    }
  }
  return r as BenchReference;
}

// `maskau bench` (npm run bench): the shared benchmark workloads on every backend
// available here, timed like the PyTorch CPU anchor (warm-up steps, then one timer
// per step, median), and the ratio against torch_anchor.py run in the same
// invocation when /usr/bin/python3 has torch. Memory is sampled after the warm-up
// and after the last step: a leak shows as growth. `--record FILE` writes the wasm and
// torch figures as the Speed page's recorded ones (src/data/bench-reference.json).
import { Command, InvalidArgumentError } from "commander";
import { existsSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { resolve } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { runAnchor, torchAvailable, type AnchorReport } from "../../src/lib/bench/anchor.js";
import { benchReference, type BenchReference, type BenchReportRow } from "../../src/lib/bench/reference.js";
import { gflopsPerSecond, timeSteps } from "../../src/lib/bench/timing.js";
import { WORKLOADS } from "../../src/lib/bench/workloads.js";
import { backendLabel, isBackendName, type BackendName } from "../../src/lib/tf/backend.js";
import { initNodeBackend } from "../../src/lib/tf/node.js";
import { progressBar } from "../progress.js";

export interface BenchRow extends BenchReportRow {
  /** Live tensors and bytes after the warm-up and after the last step. */
  tensors: [number, number];
  bytes: [number, number];
  /** tfjs median / torch median, when the anchor ran. */
  ratio?: number;
  torch_ms?: number;
}

export interface BenchReport {
  rows: BenchRow[];
  anchor: AnchorReport | null;
  skipped: { backend: string; reason: string }[];
  warmup: number;
  iters: number;
}

/** shared/bench beside the repository, or MASKAU_SHARED/bench. */
export function anchorScript(): string {
  const shared = process.env.MASKAU_SHARED ?? resolve(import.meta.dirname, "../../../shared");
  return resolve(shared, "bench", "torch_anchor.py");
}

function int(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be an integer >= 0`);
    return n;
  };
}

function list(v: string): string[] {
  return v.split(",").map((s) => s.trim()).filter(Boolean);
}

export interface BenchOptions {
  workloads: string[];
  backends: BackendName[];
  warmup: number;
  iters: number;
  seed: number;
  anchor: boolean;
  threads: number;
  quiet?: boolean;
}

export async function runBench(o: BenchOptions): Promise<BenchReport> {
  for (const w of o.workloads) if (!WORKLOADS[w]) throw new Error(`unknown workload "${w}" (choose from ${Object.keys(WORKLOADS).join(", ")})`);
  const rows: BenchRow[] = [];
  const skipped: BenchReport["skipped"] = [];
  for (const backend of o.backends) {
    let label: string;
    try {
      const info = await initNodeBackend(backend);
      if (info.name !== backend) throw new Error(`started ${info.name} instead`);
      label = backendLabel(info);
    } catch (e) {
      skipped.push({ backend, reason: e instanceof Error ? e.message : String(e) });
      continue;
    }
    for (const name of o.workloads) {
      const workload = WORKLOADS[name](o.seed);
      const bar = o.quiet ? null : progressBar(`${name} ${backend}`.padEnd(18), o.warmup + o.iters);
      let done = 0;
      const mem: { tensors: number[]; bytes: number[] } = { tensors: [], bytes: [] };
      try {
        const step = async () => {
          await workload.step();
          // Counted outside the optional call: with no bar (--json), bar?.update(++done) would skip the increment.
          done++;
          bar?.update(done);
          if (done === o.warmup || done === o.warmup + o.iters) {
            mem.tensors.push(tf.memory().numTensors);
            mem.bytes.push(tf.memory().numBytes);
          }
        };
        const t = await timeSteps(step, { warmup: o.warmup, iters: o.iters });
        rows.push({
          workload: name,
          backend: label,
          median_ms: t.medianMs,
          min_ms: t.minMs,
          gflop: workload.flops / 1e9,
          gflops_per_s: gflopsPerSecond(workload.flops, t.medianMs),
          tensors: [mem.tensors[0], mem.tensors[mem.tensors.length - 1]],
          bytes: [mem.bytes[0], mem.bytes[mem.bytes.length - 1]],
        });
      } finally {
        bar?.stop();
        workload.dispose();
      }
    }
  }
  let anchor: AnchorReport | null = null;
  if (o.anchor) {
    const script = anchorScript();
    if (!existsSync(script)) skipped.push({ backend: "torch anchor", reason: `${script} not found (set MASKAU_SHARED)` });
    else if (!(await torchAvailable())) skipped.push({ backend: "torch anchor", reason: "/usr/bin/python3 cannot import torch (apt-get install python3-torch libopenblas0-pthread)" });
    else {
      if (!o.quiet) process.stderr.write("running the PyTorch anchor ...\n");
      anchor = await runAnchor({ script, workloads: o.workloads, warmup: o.warmup, iters: o.iters, threads: o.threads });
      for (const row of rows) {
        const w = anchor.workloads[row.workload];
        row.torch_ms = w.median_ms;
        row.ratio = row.median_ms / w.median_ms;
      }
    }
  }
  return { rows, anchor, skipped, warmup: o.warmup, iters: o.iters };
}

export function formatBench(r: BenchReport): string {
  const lines = [
    `${"workload".padEnd(15)} ${"backend".padEnd(22)} ${"median ms".padStart(10)} ${"min ms".padStart(9)} ${"GFLOP/s".padStart(8)} ${"torch ms".padStart(9)} ${"ratio".padStart(7)}  memory (tensors, MB: after warm-up -> end)`,
  ];
  for (const row of r.rows) {
    const mb = row.bytes.map((b) => (b / 2 ** 20).toFixed(1));
    lines.push(
      `${row.workload.padEnd(15)} ${row.backend.padEnd(22)} ${row.median_ms.toFixed(1).padStart(10)} ${row.min_ms.toFixed(1).padStart(9)} ` +
        `${row.gflops_per_s.toFixed(1).padStart(8)} ${(row.torch_ms?.toFixed(1) ?? "-").padStart(9)} ${(row.ratio ? row.ratio.toFixed(2) + "x" : "-").padStart(7)}  ` +
        `${row.tensors[0]} -> ${row.tensors[1]}, ${mb[0]} -> ${mb[1]}`,
    );
  }
  if (r.anchor) lines.push(`anchor: torch ${r.anchor.torch}, ${r.anchor.threads} threads, ${r.anchor.blas}`);
  for (const s of r.skipped) lines.push(`skipped ${s.backend}: ${s.reason}`);
  lines.push(`${r.warmup} warm-up + ${r.iters} timed steps per workload; ratio = tfjs median / torch median (lower is better)`);
  return lines.join("\n");
}

/** The record of a report, describing this machine; `command` is how to rebuild it. */
export function recordOf(report: BenchReport, { command, note }: { command: string; note?: string }): BenchReference {
  const cpu = cpus();
  return benchReference(report, {
    measured: new Date().toISOString().slice(0, 10),
    command,
    machine: { cpu: cpu[0]?.model.trim() ?? "unknown", cores: cpu.length, node: process.version },
    note,
  });
}

export function benchCommand(): Command {
  return new Command("bench")
    .description("time the shared benchmark workloads on each backend and compare with the PyTorch CPU anchor")
    .option("--workloads <list>", `comma-separated workloads (${Object.keys(WORKLOADS).join(", ")})`, list, Object.keys(WORKLOADS))
    .option("--backends <list>", "comma-separated backends (wasm, cpu, webgpu)", list, ["wasm", "cpu", "webgpu"])
    .option("--warmup <n>", "untimed steps", int("--warmup"), 3)
    .option("--iters <n>", "timed steps", int("--iters"), 10)
    .option("--seed <n>", "seed of parameters, inputs and masking", int("--seed"), 0)
    .option("--threads <n>", "threads for the torch anchor", int("--threads"), 2)
    .option("--no-anchor", "do not run the PyTorch anchor")
    .option("--json", "print one JSON object")
    .option("--record <file>", "also write the wasm and torch figures, with this machine, as the Speed page's recorded figures (src/data/bench-reference.json)")
    .option("--note <text>", "with --record: the conditions of the measurement (\"the machine otherwise idle\")")
    .action(async (opts: { workloads: string[]; backends: string[]; warmup: number; iters: number; seed: number; threads: number; anchor: boolean; json?: boolean; record?: string; note?: string }) => {
      const backends = opts.backends.map((b) => {
        if (!isBackendName(b) || b === "webgl") throw new Error(`--backends: "${b}" is not a Node backend (wasm, cpu, webgpu)`);
        return b;
      });
      if (opts.iters < 1) throw new Error("--iters must be at least 1");
      if (opts.record && !backends.includes("wasm")) throw new Error("--record writes the wasm figures: include wasm in --backends");
      const report = await runBench({ ...opts, backends, quiet: opts.json });
      process.stdout.write((opts.json ? JSON.stringify(report) : formatBench(report)) + "\n");
      if (opts.record) {
        // The command as typed, so that the page names exactly what rebuilds the file.
        const command = ["npx maskau", ...process.argv.slice(2).map((a) => (/^[\w.,/=:-]+$/.test(a) ? a : JSON.stringify(a)))].join(" ");
        writeFileSync(opts.record, JSON.stringify(recordOf(report, { command, note: opts.note }), null, 2) + "\n");
        if (!opts.json) process.stdout.write(`recorded in ${opts.record}${report.anchor ? "" : " (without torch figures: the anchor did not run)"}\n`);
      }
    });
}

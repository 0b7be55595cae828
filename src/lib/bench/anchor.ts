// The PyTorch CPU anchor (shared/bench/torch_anchor.py), run next to the tfjs
// benchmark so that ratios compare two measurements made in the same minute.
// Node only.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface AnchorWorkload {
  median_ms: number;
  min_ms: number;
  gflop: number;
  gflops_per_s: number;
}

export interface AnchorReport {
  workloads: Record<string, AnchorWorkload>;
  torch: string;
  threads: number;
  blas: string;
}

/** Debian's python3-torch is installed for the system interpreter only. */
export const ANCHOR_PYTHON = "/usr/bin/python3";

export async function torchAvailable(python = ANCHOR_PYTHON): Promise<boolean> {
  if (!existsSync(python)) return false;
  try {
    await run(python, ["-c", "import torch"], { timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

export interface AnchorOptions {
  script: string;
  workloads: string[];
  warmup: number;
  iters: number;
  threads: number;
  python?: string;
}

export async function runAnchor(o: AnchorOptions): Promise<AnchorReport> {
  const args = [
    o.script,
    "--json",
    "--only",
    o.workloads.join(","),
    "--warmup",
    String(o.warmup),
    "--iters",
    String(o.iters),
    "--threads",
    String(o.threads),
  ];
  const { stdout } = await run(o.python ?? ANCHOR_PYTHON, args, { timeout: 600_000, maxBuffer: 1 << 20 });
  const parsed = JSON.parse(stdout.trim().split("\n").pop() ?? "{}") as Record<string, unknown>;
  const workloads: Record<string, AnchorWorkload> = {};
  for (const name of o.workloads) {
    const w = parsed[name] as AnchorWorkload | undefined;
    if (!w) throw new Error(`torch_anchor.py printed no result for ${name}`);
    workloads[name] = w;
  }
  return { workloads, torch: String(parsed.torch), threads: Number(parsed.threads), blas: String(parsed.blas) };
}

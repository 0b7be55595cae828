// `maskau eval detector`: per-AU F1 (official counting) of a detector checkpoint on a
// test fold, under one or more conditions (clean, occluded, MAE composite).
import { Command } from "commander";
import { writeFileSync } from "node:fs";
import { INPUT_KINDS, type InputKind } from "../../src/lib/eval/conditions.js";
import { formatF1Table } from "../../src/lib/eval/evaluate.js";
import { FILL_KINDS, type Fill } from "../../src/lib/masks/fill.js";
import { backendLabel, type BackendName } from "../../src/lib/tf/backend.js";
import { initNodeBackend } from "../../src/lib/tf/node.js";
import { describeFold, evaluateConditions, loadDetectorFile, loadFold, loadMaeFile } from "../detector-runs.js";
import { fillArg, num } from "./train.js";

interface EvalOpts {
  ckpt: string;
  data?: string;
  dataSeed?: number;
  fold?: number;
  occlusion: string;
  input: string;
  fill: Fill;
  mae?: string;
  json?: string;
  backend: BackendName;
}

function listOf(v: string): string[] {
  return v.split(",").map((s) => s.trim()).filter(Boolean);
}

export function evalCommand(): Command {
  const evaluate = new Command("eval").description("evaluate models");
  evaluate
    .command("detector")
    .description("per-AU F1 of an AU detector checkpoint on a test fold under clean, occluded or MAE-composite input")
    .requiredOption("--ckpt <file>", "detector checkpoint (from `maskau train detector`)")
    .option("--data <spec>", "dataset (default: the one recorded in the checkpoint, else synthetic)")
    .option("--data-seed <n>", "seed of the synthetic generator (default: from the checkpoint)", num("--data-seed", { int: true }))
    .option("--fold <k>", "test fold, 1-based (default: the checkpoint's held-out fold)", num("--fold", { int: true, min: 1 }))
    .option("--occlusion <list>", "comma list of occlusions: random:R[:SEED], block:A (random place per face), block:A:center, block:A:CX:CY[:ASPECT], region:NAME (see src/lib/masks/spec.ts)", "random:0.5,block:0.3")
    .option("--input <list>", `comma list of inputs (${INPUT_KINDS.join(", ")})`, "clean")
    .option("--fill <kind>", `paint of removed patches for occluded input (${FILL_KINDS.join(", ")})`, fillArg, "gray")
    .option("--mae <file>", "MAE checkpoint for composite input")
    .option("--json <file>", "also write the results as JSON")
    .option("--backend <name>", "wasm | cpu | webgpu", "wasm")
    .action(async (opts: EvalOpts) => {
      const inputs = listOf(opts.input) as InputKind[];
      for (const i of inputs) if (!INPUT_KINDS.includes(i)) throw new Error(`--input ${i}: choose from ${INPUT_KINDS.join(", ")}`);
      if (inputs.includes("composite") && !opts.mae) throw new Error("--input composite needs --mae FILE");
      const info = await initNodeBackend(opts.backend);
      const { detector, meta } = await loadDetectorFile(opts.ckpt);
      const recorded = (meta?.dataset && typeof meta.dataset === "object" ? meta.dataset : {}) as Record<string, unknown>;
      const recordedConfig = (recorded.config ?? {}) as Record<string, unknown>;
      const dataSpec =
        opts.data ?? (recorded.kind === "megraphau" ? String(recorded.path) : recorded.kind === "synthetic" ? `synthetic:${String(recordedConfig.preset ?? "bp4d")}` : "synthetic");
      const dataSeed = opts.dataSeed ?? (typeof recordedConfig.seed === "number" ? recordedConfig.seed : 1);
      const fold = opts.fold ?? (typeof recorded.testFold === "number" ? recorded.testFold : 1);
      const fd = await loadFold(dataSpec, dataSeed, fold);
      const mae = opts.mae ? loadMaeFile(opts.mae) : undefined;
      process.stderr.write(`${opts.ckpt} (${meta?.model}, step ${meta?.step ?? "?"}) on ${describeFold(fd)}; ${backendLabel(info)}\n`);
      const rows = await evaluateConditions(detector, fd, inputs, listOf(opts.occlusion), { fill: opts.fill, mae });
      const ds = fd.data.dataset;
      process.stdout.write(`per-AU F1 (%), test fold ${fd.fold}, ${fd.test.length} frames\n`);
      process.stdout.write(formatF1Table(rows.map((r) => ({ label: r.label, f1: r.evaluation.f1, meanF1: r.evaluation.meanF1 })), ds.aus) + "\n");
      if (opts.json) {
        const out = {
          ckpt: opts.ckpt,
          dataset: ds.name,
          fold: fd.fold,
          aus: ds.aus,
          rows: rows.map((r) => ({ label: r.label, input: r.input, occlusion: r.occlusion, f1: r.evaluation.f1, meanF1: r.evaluation.meanF1, acc: r.evaluation.acc, counts: r.evaluation.counts })),
        };
        writeFileSync(opts.json, JSON.stringify(out, null, 2) + "\n");
      }
      mae?.mae.dispose();
      detector.dispose();
    });
  return evaluate;
}

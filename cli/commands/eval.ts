// `maskau eval detector`: per-AU F1 (official counting) of a detector checkpoint on a
// test fold, under one or more conditions (clean, occluded, MAE composite). The model
// is rebuilt from the checkpoint's metadata (registry), the data and fold default to
// the ones the checkpoint records.
import { Command } from "commander";
import { readFileSync, writeFileSync } from "node:fs";
import { INPUT_KINDS, type InputKind } from "../../src/lib/eval/conditions.js";
import { formatF1Table } from "../../src/lib/eval/evaluate.js";
import type { SweepRow } from "../../src/lib/eval/sweep.js";
import { FILL_KINDS, type Fill } from "../../src/lib/masks/fill.js";
import { readCheckpointMeta } from "../../src/lib/io/atomic-node.js";
import { loadCheckpointModel } from "../../src/lib/registry.js";
import { dataOfMeta, evaluateDetectorOn, loadData, loadMaeFile, type LoadedData, type LoadedMaeFile } from "../../src/lib/runs/node.js";
import { backendLabel, type BackendName } from "../../src/lib/tf/backend.js";
import { initNodeBackend } from "../../src/lib/tf/node.js";
import { addBackendOption, fillArg, listOf, num, OCCLUSION_HELP, phaseBars } from "../options.js";

interface EvalOpts {
  ckpt: string;
  data?: string;
  dataSeed?: number;
  fold?: number;
  occlusion: string;
  input?: string;
  fill: Fill;
  mae?: string;
  json?: string;
  backend: BackendName;
}

/** Whether a checkpoint file holds a student (from its metadata; header only). */
function isStudentFile(path: string): boolean {
  return readCheckpointMeta(path)?.model === "student";
}

/** Evaluates a detector or student checkpoint file under conditions, with progress bars. */
export async function evaluateFile(
  ckpt: string,
  inputs: InputKind[],
  occlusions: string[],
  {
    fill = "gray",
    mae,
    data,
    dataOverride = {},
    fold,
    quiet = false,
  }: { fill?: Fill; mae?: LoadedMaeFile; data?: LoadedData; dataOverride?: { source?: string; seed?: number }; fold?: number; quiet?: boolean } = {},
): Promise<{ rows: SweepRow[]; data: LoadedData; fold: number; frames: number; describe: string; describeFold: string }> {
  const loaded = loadCheckpointModel(new Uint8Array(readFileSync(ckpt)), { source: ckpt });
  if (loaded.family === "mae") {
    loaded.mae.dispose();
    throw new Error(`--ckpt ${ckpt} holds ${loaded.name}, not an AU detector or a student`);
  }
  // A student reads the occluded face itself: it never receives composites (nor needs clean faces to be useful).
  if (loaded.family === "student" && inputs.some((i) => i !== "occluded")) {
    loaded.detector.dispose();
    throw new Error(`--ckpt ${ckpt} is a student (${loaded.name}): it reads occluded faces only; use --input occluded`);
  }
  const phases = phaseBars(quiet);
  try {
    const recorded = dataOfMeta(loaded.meta);
    const d = data ?? (await loadData({ ...recorded.data, ...dataOverride }, phases));
    const f = fold ?? recorded.fold;
    const out = await evaluateDetectorOn(loaded.detector, d, f, inputs, occlusions, { fill, mae, progress: phases });
    return { ...out, data: d, fold: f, describe: `${ckpt} (${loaded.meta.model}, step ${loaded.meta.step ?? "?"})` };
  } finally {
    phases.stop();
    loaded.detector.dispose();
  }
}

export function evalCommand(): Command {
  const evaluate = new Command("eval").description("evaluate models");
  const cmd = evaluate
    .command("detector")
    .description("per-AU F1 of an AU detector (clean, occluded or MAE-composite input) or a student (occluded input) on a test fold")
    .requiredOption("--ckpt <file>", "detector checkpoint (from `maskau train detector`)")
    .option("--data <spec>", "dataset (default: the one recorded in the checkpoint, else synthetic)")
    .option("--data-seed <n>", "seed of the synthetic generator (default: from the checkpoint)", num("--data-seed", { int: true }))
    .option("--fold <k>", "test fold, 1-based (default: the checkpoint's held-out fold)", num("--fold", { int: true, min: 1 }))
    .option("--occlusion <list>", `comma list of occlusions: ${OCCLUSION_HELP}`, "random:0.5,block:0.3")
    .option("--input <list>", `comma list of inputs (${INPUT_KINDS.join(", ")}; a student: occluded, its default)`)
    .option("--fill <kind>", `paint of removed patches for occluded input (${FILL_KINDS.join(", ")})`, fillArg, "gray")
    .option("--mae <file>", "MAE checkpoint for composite input")
    .option("--json <file>", "also write the results as JSON");
  addBackendOption(cmd);
  cmd.action(async (opts: EvalOpts) => {
    const isStudent = isStudentFile(opts.ckpt);
    const inputs = listOf(opts.input ?? (isStudent ? "occluded" : "clean")) as InputKind[];
    for (const i of inputs) if (!INPUT_KINDS.includes(i)) throw new Error(`--input ${i}: choose from ${INPUT_KINDS.join(", ")}`);
    if (inputs.includes("composite") && !opts.mae) throw new Error("--input composite needs --mae FILE");
    const info = await initNodeBackend(opts.backend);
    const mae = opts.mae ? loadMaeFile(opts.mae) : undefined;
    const dataOverride = { ...(opts.data ? { source: opts.data } : {}), ...(opts.dataSeed !== undefined ? { seed: opts.dataSeed } : {}) };
    try {
      const out = await evaluateFile(opts.ckpt, inputs, listOf(opts.occlusion), { fill: opts.fill, mae, dataOverride, fold: opts.fold });
      const ds = out.data.dataset;
      process.stderr.write(`${out.describe} on ${out.describeFold}; ${backendLabel(info)}\n`);
      process.stdout.write(`per-AU F1 (%), test fold ${out.fold}, ${out.frames} frames\n`);
      process.stdout.write(formatF1Table(out.rows.map((r) => ({ label: r.label, f1: r.evaluation.f1, meanF1: r.evaluation.meanF1 })), ds.aus) + "\n");
      if (opts.json) {
        const json = {
          ckpt: opts.ckpt,
          dataset: ds.name,
          fold: out.fold,
          aus: ds.aus,
          rows: out.rows.map((r) => ({ label: r.label, input: r.input, occlusion: r.occlusion, f1: r.evaluation.f1, meanF1: r.evaluation.meanF1, acc: r.evaluation.acc, counts: r.evaluation.counts })),
        };
        writeFileSync(opts.json, JSON.stringify(json, null, 2) + "\n");
      }
    } finally {
      mae?.mae.dispose();
    }
  });
  return evaluate;
}

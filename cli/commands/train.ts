// `maskau train detector`: ME-GraphAU stage 1 (ANFL) or stage 2 (MEFL) on a fold of a
// dataset, reading clean, occluded or MAE-composite faces; AdamW (weight decay 5e-4),
// warmup + cosine, resumable checkpoints, and the test fold's per-AU F1 in the final
// checkpoint's metadata.
import { Command, InvalidArgumentError } from "commander";
import { conditionLabel, INPUT_KINDS, type InputKind } from "../../src/lib/eval/conditions.js";
import { formatF1Table } from "../../src/lib/eval/evaluate.js";
import { FILL_KINDS, type Fill } from "../../src/lib/masks/fill.js";
import { DETECTOR_PRESETS, type DetectorPresetName } from "../../src/lib/models/detector.js";
import { backendLabel, type BackendName } from "../../src/lib/tf/backend.js";
import { initNodeBackend } from "../../src/lib/tf/node.js";
import { describeFold, loadFold, loadMaeFile, tensorsAlive, trainDetector } from "../detector-runs.js";

export function num(name: string, { int = false, min = 0 } = {}) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || (int && !Number.isInteger(n))) throw new InvalidArgumentError(`${name} must be ${int ? "an integer" : "a number"} >= ${min}`);
    return n;
  };
}

export function inputArg(v: string): InputKind {
  if (!INPUT_KINDS.includes(v as InputKind)) throw new InvalidArgumentError(`choose one of ${INPUT_KINDS.join(", ")}`);
  return v as InputKind;
}

export function fillArg(v: string): Fill {
  if (!FILL_KINDS.includes(v as (typeof FILL_KINDS)[number])) throw new InvalidArgumentError(`choose one of ${FILL_KINDS.join(", ")}`);
  return v as Fill;
}

export function presetArg(v: string): DetectorPresetName {
  if (!(v in DETECTOR_PRESETS)) throw new InvalidArgumentError(`choose one of ${Object.keys(DETECTOR_PRESETS).join(", ")}`);
  return v as DetectorPresetName;
}

interface TrainOpts {
  data: string;
  dataSeed: number;
  fold: number;
  occlusion: string;
  input: InputKind;
  fill: Fill;
  mae?: string;
  compositeVariants: number;
  stage: number;
  preset: DetectorPresetName;
  steps: number;
  batch: number;
  lr: number;
  minLr: number;
  warmup: number;
  weightDecay: number;
  lambda: number;
  seed: number;
  init?: string;
  out: string;
  resume: boolean;
  checkpointEvery: number;
  optimizerState: boolean;
  backend: BackendName;
}

export function trainCommand(): Command {
  const train = new Command("train").description("train models (AU detectors; MAE pretraining is `maskau pretrain`)");
  train
    .command("detector")
    .description("train an ME-GraphAU AU detector (stage 1 ANFL, stage 2 MEFL) on a subject-exclusive fold, with a progress bar and checkpoints")
    .option("--data <spec>", 'dataset: "synthetic", "synthetic:disfa", or a folder in the ME-GraphAU list format', "synthetic")
    .option("--data-seed <n>", "seed of the synthetic generator", num("--data-seed", { int: true }), 1)
    .option("--fold <k>", "held-out test fold (1-based); the other folds train", num("--fold", { int: true, min: 1 }), 1)
    .option("--occlusion <spec>", "none | random:R[:SEED] | block:A (random place per face) | block:A:center | block:A:CX:CY[:ASPECT] | region:NAME (see src/lib/masks/spec.ts)", "none")
    .option("--input <kind>", `what the detector reads: ${INPUT_KINDS.join(" | ")}`, inputArg, "clean")
    .option("--fill <kind>", `paint of removed patches for --input occluded (${FILL_KINDS.join(", ")})`, fillArg, "gray")
    .option("--mae <file>", "MAE checkpoint that makes the composites (--input composite)")
    .option("--composite-variants <k>", "--input composite: occlusions per training face (each cached once; 1 = the test-time mask rule only)", num("--composite-variants", { int: true, min: 1 }), 1)
    .option("--stage <n>", "1 (ANFL, L_AU) or 2 (MEFL, L_AU + lambda L_E)", num("--stage", { int: true, min: 1 }), 1)
    .option("--preset <name>", `detector preset (${Object.keys(DETECTOR_PRESETS).join(", ")})`, presetArg, "tiny")
    .option("--steps <n>", "optimisation steps", num("--steps", { int: true, min: 1 }), 1500)
    .option("--batch <n>", "images per step", num("--batch", { int: true, min: 2 }), 32)
    .option("--lr <x>", "peak learning rate", num("--lr"), 1e-3)
    .option("--min-lr <x>", "learning-rate floor of the cosine decay", num("--min-lr"), 1e-5)
    .option("--warmup <n>", "linear warmup steps", num("--warmup", { int: true }), 100)
    .option("--weight-decay <x>", "AdamW decoupled weight decay", num("--weight-decay"), 5e-4)
    .option("--lambda <x>", "stage 2: weight of the edge loss (paper 0.01, ME-GraphAU 0.001)", num("--lambda"), 0.01)
    .option("--seed <n>", "seed of the initialisation, batches, flips and training masks", num("--seed", { int: true }), 0)
    .option("--init <file>", "stage 2: start from this stage-1 checkpoint (backbone, global_linear, class linears, prototypes)")
    .option("--out <file>", "checkpoint file (.safetensors), written atomically", "detector.safetensors")
    .option("--resume", "continue the run stored in --out", false)
    .option("--checkpoint-every <n>", "write the checkpoint every n steps", num("--checkpoint-every", { int: true }), 250)
    .option("--optimizer-state", "keep the optimizer state in the final checkpoint (default: weights only)", false)
    .option("--backend <name>", "wasm | cpu | webgpu", "wasm")
    .action(async (opts: TrainOpts) => {
      if (opts.stage !== 1 && opts.stage !== 2) throw new Error("--stage must be 1 or 2");
      if (opts.input !== "clean" && opts.occlusion === "none") throw new Error(`--input ${opts.input} needs --occlusion (random:0.5 or block:0.3)`);
      const info = await initNodeBackend(opts.backend);
      const fd = await loadFold(opts.data, opts.dataSeed, opts.fold);
      const mae = opts.mae ? loadMaeFile(opts.mae) : undefined;
      if (opts.input === "composite" && !mae) throw new Error("--input composite needs --mae FILE");
      process.stderr.write(`${describeFold(fd)}; ${backendLabel(info)}\n`);
      const command = `maskau train detector ${process.argv.slice(4).join(" ")}`.trim();
      const result = await trainDetector(
        {
          preset: opts.preset,
          stage: opts.stage as 1 | 2,
          condition: { input: opts.input, occlusion: opts.occlusion, fill: opts.fill },
          steps: opts.steps,
          batch: opts.batch,
          lr: opts.lr,
          minLr: opts.minLr,
          warmup: opts.warmup,
          weightDecay: opts.weightDecay,
          lambda: opts.lambda,
          seed: opts.seed,
          init: opts.init,
          out: opts.out,
          resume: opts.resume,
          checkpointEvery: opts.checkpointEvery,
          compositeVariants: opts.compositeVariants,
          optimizerState: opts.optimizerState === true,
          command,
        },
        fd,
        mae,
      );
      mae?.mae.dispose();
      const ev = result.evaluation;
      process.stdout.write(
        `wrote ${opts.out} at step ${result.steps}, loss ${result.lastLoss.toFixed(4)}\n` +
          `test fold ${fd.fold}, ${ev.frames} frames:\n` +
          formatF1Table([{ label: conditionLabel(result.condition), f1: ev.f1, meanF1: ev.meanF1 }], ev.aus) +
          `\ntensors alive ${tensorsAlive()}\n`,
      );
    });
  return train;
}

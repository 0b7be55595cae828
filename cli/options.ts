// Option groups shared by the commands that run things (pretrain, train, eval,
// reproduce): data and fold, the optimiser settings (defaults from the registry,
// so a flag's default is the run layer's), the detector's input, the backend. Each
// group adds its flags to a command and reads them back into spec parts.
import { Command, InvalidArgumentError } from "commander";
import { INPUT_KINDS, type InputKind } from "../src/lib/eval/conditions.js";
import { FILL_KINDS, type Fill } from "../src/lib/masks/fill.js";
import type { TrainSettings } from "../src/lib/registry.js";
import type { Progress as RunProgress } from "../src/lib/runs/node.js";
import type { DataSpec } from "../src/lib/runs/spec.js";
import { BACKENDS, type BackendName } from "../src/lib/tf/backend.js";
import { progressBar, type Progress } from "./progress.js";

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

/** A comma list of fills, each named once, in the order given. */
export function fillsArg(v: string): Fill[] {
  const fills = listOf(v).map(fillArg);
  if (fills.length === 0) throw new InvalidArgumentError(`name at least one of ${FILL_KINDS.join(", ")}`);
  if (new Set(fills).size !== fills.length) throw new InvalidArgumentError(`a fill is named twice in "${v}"`);
  return fills;
}

export function backendArg(v: string): BackendName {
  if (!BACKENDS.includes(v as BackendName)) throw new InvalidArgumentError(`choose one of ${BACKENDS.join(", ")}`);
  return v as BackendName;
}

export function listOf(v: string): string[] {
  return v.split(",").map((s) => s.trim()).filter(Boolean);
}

export const OCCLUSION_HELP = "none | random:R[:SEED] | block:A (random place per face) | block:A:CX:CY[:ASPECT] | region:NAME (brows, eyes, mouth, upper-half, ...)";

export interface DataOpts {
  data: string;
  dataSeed: number;
  fold: number;
  valSubjects: number;
}

/** --data, --data-seed, --fold. `foldHelp` says what the fold means for this command. */
export function addDataOptions(cmd: Command, { foldHelp = "held-out test fold (1-based); the other folds train", foldMin = 1 } = {}): Command {
  return cmd
    .option("--data <spec>", 'dataset: "synthetic", "synthetic:disfa", or a folder in the ME-GraphAU list format', "synthetic")
    .option("--data-seed <n>", "seed of the synthetic generator", num("--data-seed", { int: true }), 1)
    .option("--fold <k>", foldHelp, num("--fold", { int: true, min: foldMin }), 1)
    .option("--val-subjects <k>", "training subjects held out as a validation set (make choices there, not on the test fold)", num("--val-subjects", { int: true }), 0);
}

export function dataSpecOf(opts: DataOpts, size: number): DataSpec {
  return { source: opts.data, seed: opts.dataSeed, size };
}

/** The optimiser flags as commander parses them: the run's TrainSettings plus the seed. */
export interface TrainOpts extends TrainSettings {
  seed: number;
}

/** The optimiser flags, with the defaults of a run kind (PRETRAIN_DEFAULTS, DETECTOR_DEFAULTS). */
export function addTrainOptions(cmd: Command, d: Omit<TrainSettings, "checkpointEvery"> & { checkpointEvery: number }, { minBatch = 1 } = {}): Command {
  return cmd
    .option("--steps <n>", "optimisation steps", num("--steps", { int: true, min: 1 }), d.steps)
    .option("--batch <n>", "images per step", num("--batch", { int: true, min: minBatch }), d.batch)
    .option("--lr <x>", "peak learning rate", num("--lr"), d.lr)
    .option("--min-lr <x>", "learning-rate floor of the cosine decay", num("--min-lr"), d.minLr)
    .option("--warmup <n>", "linear warmup steps", num("--warmup", { int: true }), d.warmup)
    .option("--weight-decay <x>", "AdamW decoupled weight decay", num("--weight-decay"), d.weightDecay)
    .option("--seed <n>", "seed of the initialisation, batches, flips and masks", num("--seed", { int: true }), 0)
    .option("--checkpoint-every <n>", "write a resumable checkpoint every n steps", num("--checkpoint-every", { int: true }), d.checkpointEvery);
}

export function trainSettingsOf(o: TrainOpts): TrainSettings {
  return { steps: o.steps, batch: o.batch, lr: o.lr, minLr: o.minLr, warmup: o.warmup, weightDecay: o.weightDecay, checkpointEvery: o.checkpointEvery };
}

export function addBackendOption(cmd: Command): Command {
  return cmd.option("--backend <name>", BACKENDS.join(" | "), backendArg, "wasm");
}

/** The command line as typed, for createdBy. */
export function commandLine(): string {
  return `maskau ${process.argv.slice(2).join(" ")}`.trim();
}

/** Progress bars for the run layer's phases: one bar per phase, replaced when the phase changes. */
export function phaseBars(quiet = false): RunProgress & { stop(): void } {
  let current: { phase: string; bar: Progress } | undefined;
  const fn = ((phase: string, done: number, total: number) => {
    if (quiet) return;
    if (current?.phase !== phase) {
      current?.bar.stop();
      current = { phase, bar: progressBar(phase, total) };
    }
    current.bar.update(done);
    if (done >= total) {
      current.bar.stop();
      current = undefined;
    }
  }) as RunProgress & { stop(): void };
  fn.stop = () => {
    current?.bar.stop();
    current = undefined;
  };
  return fn;
}

// `maskau pretrain`: MAE pretraining on faces, a `pretrain` run of the run layer
// (src/lib/runs): flags -> spec, then a progress bar and checkpoints written
// atomically every N steps, resumable.
import { Command } from "commander";
import * as tf from "@tensorflow/tfjs-core";
import { MODEL_NAMES, PRETRAIN_DEFAULTS, resolveMae } from "../../src/lib/registry.js";
import { loadResources, trainToFile } from "../../src/lib/runs/node.js";
import { pretrainSpec } from "../../src/lib/runs/spec.js";
import { writeTrainingRecord } from "../../src/lib/records/node.js";
import { backendLabel, type BackendName } from "../../src/lib/tf/backend.js";
import { initNodeBackend } from "../../src/lib/tf/node.js";
import { progressBar } from "../progress.js";
import { addBackendOption, addDataOptions, addTrainOptions, commandLine, dataSpecOf, num, phaseBars, trainSettingsOf, type DataOpts, type TrainOpts } from "../options.js";

interface PretrainOpts extends DataOpts, TrainOpts {
  preset: string;
  maskRatio: number;
  out: string;
  resume: boolean;
  backend: BackendName;
  optimizerState: boolean;
  stopAfter?: number;
}

export function pretrainCommand(): Command {
  const cmd = new Command("pretrain")
    .description("pretrain a masked autoencoder on faces (held-out fold excluded), with a progress bar and resumable checkpoints")
    .option("--preset <name>", `MAE (${MODEL_NAMES.filter((n) => n.startsWith("mae/")).join(", ")}, or tiny, small, base)`, "mae/tiny");
  addDataOptions(cmd, { foldHelp: "held-out test fold (1-based) excluded from pretraining; 0 = train on every frame", foldMin: 0 });
  addTrainOptions(cmd, PRETRAIN_DEFAULTS);
  addBackendOption(cmd)
    .option("--mask-ratio <r>", "fraction of patches removed", num("--mask-ratio"), PRETRAIN_DEFAULTS.maskRatio)
    .option("--out <file>", "checkpoint file (.safetensors), written atomically", "mae.safetensors")
    .option("--resume", "continue the run stored in --out")
    .option("--stop-after <n>", "stop (with a resumable checkpoint) once n steps are done, as an interrupted run would", num("--stop-after", { int: true, min: 1 }))
    .option("--no-optimizer-state", "write the final checkpoint with weights only (smaller; cannot be resumed)");
  return cmd.action(async (opts: PretrainOpts) => {
    const entry = resolveMae(opts.preset);
    const spec = pretrainSpec({ model: entry.name, data: dataSpecOf(opts, entry.config().imgSize), fold: opts.fold, valSubjects: opts.valSubjects, seed: opts.seed, maskRatio: opts.maskRatio, train: trainSettingsOf(opts) });
    const info = await initNodeBackend(opts.backend);
    const phases = phaseBars();
    const resources = await loadResources(spec, phases);
    phases.stop();
    let bar: ReturnType<typeof progressBar> | undefined;
    const run = await trainToFile(
      resources.spec,
      resources,
      {
        out: opts.out,
        resume: opts.resume,
        stopAfter: opts.stopAfter,
        optimizerState: opts.optimizerState,
        createdBy: commandLine(),
        log: (line) => process.stderr.write(line + "\n"),
        callbacks: { onStep: (r) => bar?.update(r.step, { loss: r.loss.toFixed(4), "img/s": Math.round((spec.train.batch * 1000) / r.ms) }) },
      },
      (ready) => {
        if (ready.kind !== "pretrain") return;
        process.stderr.write(
          `pretraining ${entry.name} (${ready.mae.params.countTrainable().toLocaleString("en")} parameters) on ${ready.dataset.name}: ` +
            `${ready.trainFrames.length} frames, ${backendLabel(info)}\n`,
        );
        bar = progressBar("pretrain", spec.train.steps, { fields: ["loss", "img/s"] });
        bar.update(ready.trainer.step);
      },
    ).finally(() => bar?.stop());
    const last = run.trainer.history.at(-1);
    const finished = run.trainer.step >= spec.train.steps;
    run.dispose();
    // A finished run leaves its record beside the checkpoint (an interrupted one only its resumable checkpoint).
    if (finished) process.stderr.write(`wrote ${await writeTrainingRecord(opts.out, backendLabel(info))}\n`);
    process.stdout.write(`wrote ${opts.out} at step ${run.trainer.step}, loss ${last?.loss.toFixed(4)}; tensors alive ${tf.memory().numTensors}\n`);
  });
}

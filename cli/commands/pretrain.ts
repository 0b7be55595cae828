// `maskau pretrain`: MAE pretraining on faces with the shared Trainer (AdamW, warmup +
// cosine, checkpoints written atomically every N steps, exact resume).
import { Command } from "commander";
import { existsSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import { MAE_PRESETS, type MaePresetName } from "../../src/lib/config.js";
import { foldSplit } from "../../src/lib/data/folds.js";
import { checkpointToTrainState, encodeCheckpoint, encodeTrainState } from "../../src/lib/io/checkpoint.js";
import { readCheckpointFile, writeFileAtomic } from "../../src/lib/io/atomic-node.js";
import { createMae, type Mae } from "../../src/lib/models/mae.js";
import type { TensorData } from "../../src/lib/models/params.js";
import { backendLabel, type BackendName } from "../../src/lib/tf/backend.js";
import { initNodeBackend } from "../../src/lib/tf/node.js";
import { AdamW } from "../../src/lib/train/adamw.js";
import { MaePretrainTask } from "../../src/lib/train/mae-task.js";
import { Trainer, type TrainerConfig } from "../../src/lib/train/trainer.js";
import { loadDataArg } from "../dataset-arg.js";
import { progressBar } from "../progress.js";
import { num } from "./train.js";

/** Non-trainable model tensors (fixed position embeddings): saved with the weights. */
export async function maeBuffers(mae: Mae): Promise<Map<string, TensorData>> {
  const trainable = new Set(Object.keys(mae.trainable()));
  const all = await mae.params.stateDict();
  return new Map([...all].filter(([name]) => !trainable.has(name)));
}

interface PretrainOpts {
  preset: MaePresetName;
  data: string;
  dataSeed: number;
  fold: number;
  steps: number;
  batch: number;
  lr: number;
  minLr: number;
  warmup: number;
  weightDecay: number;
  maskRatio: number;
  seed: number;
  out: string;
  resume: boolean;
  checkpointEvery: number;
  backend: BackendName;
  optimizerState: boolean;
  stopAfter?: number;
}

export function pretrainCommand(): Command {
  return new Command("pretrain")
    .description("pretrain a masked autoencoder on faces (held-out fold excluded), with a progress bar and resumable checkpoints")
    .option("--preset <name>", `MAE preset (${Object.keys(MAE_PRESETS).join(", ")})`, "tiny")
    .option("--data <spec>", 'dataset: "synthetic", "synthetic:disfa", or a folder in the ME-GraphAU list format', "synthetic")
    .option("--data-seed <n>", "seed of the synthetic generator", num("--data-seed", { int: true }), 1)
    .option("--fold <k>", "held-out test fold (1-based) excluded from pretraining; 0 = train on every frame", num("--fold", { int: true }), 1)
    .option("--steps <n>", "optimisation steps", num("--steps", { int: true, min: 1 }), 3000)
    .option("--batch <n>", "images per step", num("--batch", { int: true, min: 1 }), 32)
    .option("--lr <x>", "peak learning rate", num("--lr"), 1e-3)
    .option("--min-lr <x>", "learning-rate floor of the cosine decay", num("--min-lr"), 1e-5)
    .option("--warmup <n>", "linear warmup steps", num("--warmup", { int: true }), 200)
    .option("--weight-decay <x>", "AdamW decoupled weight decay", num("--weight-decay"), 0.05)
    .option("--mask-ratio <r>", "fraction of patches removed", num("--mask-ratio"), 0.75)
    .option("--seed <n>", "seed of the initialisation, batches and masks", num("--seed", { int: true }), 0)
    .option("--out <file>", "checkpoint file (.safetensors), written atomically", "mae.safetensors")
    .option("--resume", "continue the run stored in --out")
    .option("--checkpoint-every <n>", "write the checkpoint every n steps", num("--checkpoint-every", { int: true }), 250)
    .option("--backend <name>", "wasm | cpu | webgpu", "wasm")
    .option("--stop-after <n>", "stop (with a resumable checkpoint) once n steps are done, as an interrupted run would", num("--stop-after", { int: true, min: 1 }))
    .option("--no-optimizer-state", "write the final checkpoint with weights only (smaller; cannot be resumed)")
    .action(async (opts: PretrainOpts) => {
      const config = MAE_PRESETS[opts.preset];
      if (!config) throw new Error(`--preset ${opts.preset}: choose one of ${Object.keys(MAE_PRESETS).join(", ")}`);
      if (!(opts.maskRatio > 0 && opts.maskRatio < 1)) throw new Error("--mask-ratio must be between 0 and 1");
      const info = await initNodeBackend(opts.backend);
      const { dataset, description } = await loadDataArg(opts.data, { dataSeed: opts.dataSeed, size: config.imgSize });
      if (opts.fold > dataset.folds) throw new Error(`--fold ${opts.fold}: the dataset has ${dataset.folds} folds`);
      const indices = opts.fold > 0 ? foldSplit(dataset, opts.fold - 1).train : Int32Array.from({ length: dataset.subject.length }, (_, i) => i);
      const mae = createMae(config, { seed: opts.seed });
      const task = new MaePretrainTask(mae, dataset, indices, { batchSize: opts.batch, maskRatio: opts.maskRatio, seed: opts.seed });
      const trainerConfig: TrainerConfig = { steps: opts.steps, lr: opts.lr, minLr: opts.minLr, warmupSteps: opts.warmup, checkpointEvery: opts.checkpointEvery };
      const optimizer = new AdamW({ betas: [0.9, 0.95], weightDecay: opts.weightDecay });
      const command = `maskau pretrain ${process.argv.slice(3).join(" ")}`.trim();
      const meta = {
        model: "mae",
        config: { preset: opts.preset, ...config } as Record<string, unknown>,
        dataset: { ...description, heldOutFold: opts.fold },
        seed: opts.seed,
        createdBy: command,
      };
      const buffers = await maeBuffers(mae);
      let bar: ReturnType<typeof progressBar> | undefined;
      let trainer: Trainer | undefined;
      trainer = new Trainer(task, trainerConfig, optimizer, {
        onStep: (r) => {
          bar?.update(r.step, { loss: r.loss.toFixed(4), "img/s": Math.round((opts.batch * 1000) / r.ms) });
        },
        onCheckpoint: async (state) => {
          const final = state.step >= opts.steps;
          const bytes =
            final && !opts.optimizerState
              ? encodeCheckpoint(new Map([...(await mae.params.stateDict())]), {
                  ...meta,
                  step: state.step,
                  metrics: { loss: state.history.at(-1)?.loss ?? NaN },
                  history: state.history.map(({ step, loss, lr }) => ({ step, loss, lr })),
                })
              : encodeTrainState(state, meta, buffers);
          await writeFileAtomic(opts.out, bytes);
        },
      });
      if (opts.resume) {
        if (!existsSync(opts.out)) throw new Error(`--resume: ${opts.out} does not exist`);
        const ckpt = await readCheckpointFile(opts.out);
        trainer.restore(checkpointToTrainState(ckpt, opts.out));
        // A resumed run ends exactly as the uninterrupted one would: keep its command.
        if (ckpt.meta?.createdBy) meta.createdBy = ckpt.meta.createdBy;
        process.stderr.write(`resuming ${opts.out} at step ${trainer.step}\n`);
      }
      process.stderr.write(
        `pretraining MAE ${opts.preset} (${mae.params.countTrainable().toLocaleString("en")} parameters) on ${dataset.name}: ` +
          `${indices.length} frames, ${backendLabel(info)}\n`,
      );
      bar = progressBar("pretrain", opts.steps, { fields: ["loss", "img/s"] });
      bar.update(trainer.step);
      try {
        await trainer.run(opts.stopAfter ?? opts.steps);
      } finally {
        bar.stop();
      }
      const last = trainer.history.at(-1);
      process.stdout.write(`wrote ${opts.out} at step ${trainer.step}, loss ${last?.loss.toFixed(4)}; tensors alive ${tf.memory().numTensors}\n`);
      optimizer.dispose();
      mae.dispose();
    });
}

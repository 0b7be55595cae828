// One Trainer for every MaskAU run (MAE pretraining, detector, student), used by
// the CLI and the pages alike. A run is a task (its variables and a loss for the
// batch of a given step) plus a config; the Trainer owns the loop: learning-rate
// schedule, gradients, clipping, the optimizer update (then the task's afterUpdate
// hook), callbacks, stopping, checkpoints and resuming.
//
// Resuming is exact: the batch of step t is a function of (seed, t) on the task's
// side, and the optimizer state is restored, so an interrupted run continues as
// an uninterrupted one would on the same backend.
import * as tf from "@tensorflow/tfjs-core";
import { clipByGlobalNorm } from "./clip.js";
import { learningRateAt, type CosineSchedule } from "./schedule.js";

export interface StepLoss {
  /** The scalar to minimise. */
  loss: tf.Scalar;
  /** Extra scalars to report (loss terms, accuracy, ...). */
  metrics?: Record<string, tf.Scalar>;
}

export interface TrainTask {
  /** Trainable variables by name. */
  readonly variables: Record<string, tf.Variable>;
  /** The loss of the batch of `step`; runs under gradient recording. */
  loss(step: number): StepLoss;
  /**
   * Called by the Trainer after every optimizer update, before the onStep callbacks: where
   * a task commits state that its train-mode forward recorded but must not change under
   * gradient recording (BatchNorm running statistics). Not called for a step that stopped
   * on a non-finite loss.
   */
  afterUpdate?(): void;
}

/** A first-order optimizer whose whole state can be saved and restored. */
export interface Optimizer {
  /** Applies one update with learning rate `lr`; does not dispose `grads`. */
  update(variables: Record<string, tf.Variable>, grads: tf.NamedTensorMap, lr: number): void;
  getState(): OptimizerState;
  /** As getState, reading asynchronously; preferred by Trainer.state() (WebGPU reads synchronously only slowly, or not at all). */
  readState?(): Promise<OptimizerState>;
  setState(state: OptimizerState): void;
  dispose(): void;
}

/** Optimizer state as plain arrays: a step count plus named buffers. */
export interface OptimizerState {
  step: number;
  buffers: Record<string, { shape: number[]; values: Float32Array }>;
}

export interface TrainerConfig extends Omit<CosineSchedule, "totalSteps"> {
  /** Total number of steps of the run (the schedule decays over these). */
  steps: number;
  /** Clip gradients to this global L2 norm; 0 or undefined for no clipping. */
  clipNorm?: number;
  /** Call `onCheckpoint` every this many steps (and at the end); 0 for never. */
  checkpointEvery?: number;
  /**
   * Report the gradient norm of groups of variables (e.g. a student's encoder, alignment
   * and head) in StepReport.gradNorms: the group of each variable by name, null to leave it
   * out. Costs one reduction per variable and a read-back per step, so only when asked. Not
   * part of a saved state (TrainState.config is plain data).
   */
  gradNormGroups?: (name: string) => string | null;
}

export interface StepReport {
  /** Number of updates made so far (1 after the first step). */
  step: number;
  totalSteps: number;
  lr: number;
  loss: number;
  /** Global gradient norm before clipping (when clipping is on). */
  gradNorm?: number;
  /** L2 norm of each group's gradients before clipping (when TrainerConfig.gradNormGroups is set). */
  gradNorms?: Record<string, number>;
  metrics: Record<string, number>;
  /** Wall-clock milliseconds of this step, including reading the loss back. */
  ms: number;
}

/** Everything needed to continue a run: plain data, ready to be written as a checkpoint. */
export interface TrainState {
  step: number;
  config: TrainerConfig;
  variables: Record<string, { shape: number[]; values: Float32Array }>;
  optimizer: OptimizerState;
  history: StepReport[];
}

export interface TrainerCallbacks {
  /** After every step. Return "stop" to end the run early (early stopping, pause). */
  onStep?(report: StepReport): void | "stop" | Promise<void | "stop">;
  /** Every `checkpointEvery` steps and when the run ends. */
  onCheckpoint?(state: TrainState): void | Promise<void>;
}

export class NonFiniteLossError extends Error {
  constructor(
    readonly step: number,
    readonly value: number,
  ) {
    super(
      `the loss became ${value} at step ${step + 1}; no update was applied and the last checkpoint is intact. ` +
        `Lower the learning rate, enable gradient clipping (clipNorm), or check the inputs for NaN.`,
    );
    this.name = "NonFiniteLossError";
  }
}

export type StopReason = "completed" | "stopped";

/** The L2 norm of each group's gradients, [groups] in order of first appearance (one tensor: one read-back). */
function groupNormTensor(grads: tf.NamedTensorMap, groupOf: (name: string) => string | null): { groups: string[]; norms: tf.Tensor1D } {
  const members = new Map<string, tf.Tensor[]>();
  for (const [name, g] of Object.entries(grads)) {
    const group = groupOf(name);
    if (group === null) continue;
    if (!members.has(group)) members.set(group, []);
    members.get(group)!.push(g);
  }
  const groups = [...members.keys()];
  const norms = tf.tidy(() =>
    groups.length === 0 ? tf.tensor1d([]) : tf.sqrt(tf.stack(groups.map((g) => tf.addN(members.get(g)!.map((t) => tf.sum(tf.square(t))))))) as tf.Tensor1D,
  );
  return { groups, norms };
}

export class Trainer {
  /** Number of updates made so far. */
  step = 0;
  readonly history: StepReport[] = [];

  constructor(
    readonly task: TrainTask,
    readonly config: TrainerConfig,
    readonly optimizer: Optimizer,
    readonly callbacks: TrainerCallbacks = {},
  ) {
    if (!(config.steps > 0)) throw new Error(`steps must be a positive number, got ${config.steps}`);
    if (!(config.lr > 0)) throw new Error(`lr must be positive, got ${config.lr}`);
  }

  learningRate(step = this.step): number {
    return learningRateAt(step, { ...this.config, totalSteps: this.config.steps });
  }

  /** One optimisation step. Throws NonFiniteLossError (before updating) on a NaN or infinite loss. */
  async trainStep(): Promise<StepReport> {
    const start = performance.now();
    const lr = this.learningRate();
    const vars = this.task.variables;
    const varList = Object.values(vars);
    let metricTensors: Record<string, tf.Scalar> = {};
    const { value, grads } = tf.variableGrads(() => {
      const out = this.task.loss(this.step);
      metricTensors = Object.fromEntries(Object.entries(out.metrics ?? {}).map(([k, t]) => [k, tf.keep(t)]));
      return out.loss;
    }, varList);
    const byName = this.gradsByName(grads);
    const groupNorms = this.config.gradNormGroups ? groupNormTensor(byName, this.config.gradNormGroups) : undefined;
    let gradNormTensor: tf.Scalar | undefined;
    let applied = byName;
    if (this.config.clipNorm && this.config.clipNorm > 0) {
      const clipped = clipByGlobalNorm(byName, this.config.clipNorm);
      gradNormTensor = clipped.norm;
      applied = clipped.grads;
    }
    try {
      const loss = (await value.data())[0];
      if (!Number.isFinite(loss)) throw new NonFiniteLossError(this.step, loss);
      this.optimizer.update(vars, applied, lr);
      this.task.afterUpdate?.();
      const metrics: Record<string, number> = {};
      for (const [k, t] of Object.entries(metricTensors)) metrics[k] = (await t.data())[0];
      const gradNorm = gradNormTensor ? (await gradNormTensor.data())[0] : undefined;
      let gradNorms: Record<string, number> | undefined;
      if (groupNorms) {
        const values = await groupNorms.norms.data();
        gradNorms = Object.fromEntries(groupNorms.groups.map((g, i) => [g, values[i]]));
      }
      this.step += 1;
      const report: StepReport = {
        step: this.step,
        totalSteps: this.config.steps,
        lr,
        loss,
        gradNorm,
        ...(gradNorms ? { gradNorms } : {}),
        metrics,
        ms: performance.now() - start,
      };
      this.history.push(report);
      return report;
    } finally {
      tf.dispose([value, gradNormTensor, groupNorms?.norms, ...Object.values(grads), ...Object.values(metricTensors)]);
      if (applied !== byName) tf.dispose(Object.values(applied));
    }
  }

  /** Runs until `config.steps` (or `untilStep`) or until a callback says stop. */
  async run(untilStep = this.config.steps): Promise<StopReason> {
    const every = this.config.checkpointEvery ?? 0;
    while (this.step < Math.min(untilStep, this.config.steps)) {
      const report = await this.trainStep();
      const verdict = await this.callbacks.onStep?.(report);
      if (every > 0 && this.step % every === 0 && this.step < this.config.steps) await this.checkpoint();
      if (verdict === "stop") {
        await this.checkpoint();
        return "stopped";
      }
    }
    await this.checkpoint();
    return this.step >= this.config.steps ? "completed" : "stopped";
  }

  private async checkpoint(): Promise<void> {
    if (this.callbacks.onCheckpoint) await this.callbacks.onCheckpoint(await this.state());
  }

  /** A snapshot of the run as plain data. */
  async state(): Promise<TrainState> {
    const variables: TrainState["variables"] = {};
    for (const [name, v] of Object.entries(this.task.variables)) {
      variables[name] = { shape: v.shape.slice(), values: (await v.data()) as Float32Array };
    }
    const { gradNormGroups: _groups, ...config } = this.config;
    void _groups;
    return {
      step: this.step,
      config,
      variables,
      optimizer: this.optimizer.readState ? await this.optimizer.readState() : this.optimizer.getState(),
      history: this.history.slice(),
    };
  }

  /** Continues from a snapshot: variables, optimizer state, step and history. */
  restore(state: TrainState): void {
    const vars = this.task.variables;
    const missing = Object.keys(vars).filter((k) => !(k in state.variables));
    const unexpected = Object.keys(state.variables).filter((k) => !(k in vars));
    const misshaped = Object.keys(vars).filter(
      (k) => k in state.variables && state.variables[k].shape.join(",") !== vars[k].shape.join(","),
    );
    if (missing.length || unexpected.length || misshaped.length) {
      const parts = [
        missing.length ? `missing: ${missing.join(", ")}` : "",
        unexpected.length ? `unexpected: ${unexpected.join(", ")}` : "",
        misshaped.length
          ? `mis-shaped: ${misshaped.map((k) => `${k} [${state.variables[k].shape}] vs [${vars[k].shape}]`).join(", ")}`
          : "",
      ].filter(Boolean);
      throw new Error(`cannot resume: the saved run does not match this model (${parts.join("; ")})`);
    }
    for (const [name, v] of Object.entries(vars)) {
      const saved = state.variables[name];
      tf.tidy(() => v.assign(tf.tensor(saved.values, saved.shape, "float32")));
    }
    this.optimizer.setState(state.optimizer);
    this.step = state.step;
    this.history.splice(0, this.history.length, ...state.history);
  }

  private gradsByName(grads: tf.NamedTensorMap): tf.NamedTensorMap {
    // variableGrads keys gradients by variable.name; map them back to the task's names.
    const out: tf.NamedTensorMap = {};
    for (const [name, v] of Object.entries(this.task.variables)) {
      const g = grads[v.name];
      if (!g) throw new Error(`no gradient reached "${name}": it does not influence the loss`);
      out[name] = g;
    }
    return out;
  }
}

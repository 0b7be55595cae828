// A training run in a page, as one state machine: start, pause, resume (in memory, or
// after a reload from a saved run), finish, discard. The Trainer runs one step at a time
// and the page gets a turn in between; every change is a plain snapshot that the page
// subscribes to and draws. What differs between the pages' runs is a SessionKind: how to
// check settings and build the run (through the run layer), what to measure between
// steps (reconstructions, held-out F1) and the words of its messages. Where runs are
// saved is an option (a RunStore: IndexedDB in the page, memory in tests).
//
//   idle ──start──► preparing ──► training ──pause──► pausing ──► paused ──resume──► training
//     ▲   (saved run offered: resume)    └──────────────► completed     (error from any step)
//     └──discard── paused / completed / error
//
// No DOM here: Node tests drive sessions with fake runs.
import { checkpointToTrainState, decodeCheckpoint } from "../io/checkpoint.js";
import { parseSavedRun, savedRun, type RunStore, type SavedRun } from "../train/run-store.js";
import { throughput, type StepTime } from "../train/throughput.js";
import type { StepReport, TrainerCallbacks, TrainState } from "../train/trainer.js";

export type RunStatus = "idle" | "preparing" | "training" | "pausing" | "paused" | "completed" | "error";

export const RUN_STATUS_TEXT: Record<RunStatus, string> = {
  idle: "no run",
  preparing: "preparing",
  training: "training",
  pausing: "pausing",
  paused: "paused",
  completed: "finished",
  error: "stopped",
};

/** Whether a session in this status is working (its settings are locked and it cannot start another run). */
export function isBusy(status: RunStatus): boolean {
  return status === "preparing" || status === "training" || status === "pausing";
}

/** Yields to the event loop. A message, not a timer: timers are throttled to 1/s in background tabs. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** The TrainState of resumable checkpoint bytes (throws for weights-only files). */
export function decodeRunState(bytes: Uint8Array, source = "the saved run"): TrainState {
  return checkpointToTrainState(decodeCheckpoint(bytes, source), source);
}

export interface LossPoint {
  step: number;
  loss: number;
  lr: number;
  /** The step's other scalars, when its task reports any (a student's loss terms). */
  metrics?: Record<string, number>;
  /** Gradient norms per group of parameters, when the run asks the Trainer for them. */
  gradNorms?: Record<string, number>;
}

/** The point a step report adds to a session's history (metrics and gradient norms only when there are some). */
export function lossPoint(r: Pick<StepReport, "step" | "loss" | "lr"> & Partial<Pick<StepReport, "metrics" | "gradNorms">>): LossPoint {
  const point: LossPoint = { step: r.step, loss: r.loss, lr: r.lr };
  if (r.metrics && Object.keys(r.metrics).length > 0) point.metrics = r.metrics;
  if (r.gradNorms) point.gradNorms = r.gradNorms;
  return point;
}

/** A saved run as offered for resuming (without its checkpoint bytes). */
export type SavedRunOffer<S> = Omit<SavedRun<S>, "checkpoint">;

export interface RunSnapshot<S> {
  status: RunStatus;
  /** What is happening, in words (progress of the dataset, last save, errors). */
  message: string;
  /** Settings of the current run (null when there is none). */
  settings: S | null;
  step: number;
  totalSteps: number;
  history: LossPoint[];
  imagesPerSecond: number | null;
  etaSeconds: number | null;
  /** Step of the last save (null when nothing is saved). */
  savedStep: number | null;
  /** A saved run found on load and offered for resuming (status idle). */
  offer: SavedRunOffer<S> | null;
  /** Where runs are saved ("IndexedDB", "memory"); null when they are not. */
  storage: string | null;
  /**
   * What is wrong with saving, until the next save succeeds: the last save failed (storage
   * full, ...) and the run continues in memory, or the saved run found on load was unreadable.
   */
  storageProblem: string | null;
  error: string | null;
}

/** A snapshot with the kind's measurements (reconstructions, held-out F1, ...). */
export type SessionSnapshot<S, M> = RunSnapshot<S> & M;

/** What a session needs of a run (the run layer's runs plus the page settings they came from). */
export interface SessionRun<S> {
  readonly settings: S;
  readonly trainer: { readonly step: number; run(): Promise<unknown>; state(): Promise<TrainState> };
  /** Resumable checkpoint bytes of a state. */
  encodeState(state: TrainState): Uint8Array | Promise<Uint8Array>;
  dispose(): void;
}

export interface BuildContext<M> {
  /** A saved state to continue from (null for a new run). */
  resume: TrainState | null;
  /** The saved checkpoint `resume` was read from (for a run that restores more than the trainer's state, e.g. BatchNorm statistics). */
  resumeCheckpoint: Uint8Array | null;
  /** Pass these to the run's Trainer. */
  callbacks: Required<Pick<TrainerCallbacks, "onStep" | "onCheckpoint">>;
  /** Call onCheckpoint every this many steps (0 when runs are not saved). */
  checkpointEvery: number;
  /** Says what the build is doing (rendering faces, building the model), with snapshot fields to set. */
  progress(message: string, fields?: Partial<M>): void;
  /** Gives the page a turn (to draw the last progress before a long synchronous step). */
  turn(): Promise<void>;
}

/** When the last measurement was, for SessionKind.measureDue. */
export interface MeasureTiming {
  step: number;
  totalSteps: number;
  /** Milliseconds since the last measurement ended, and how long it took. */
  sinceMs: number;
  costMs: number;
  /** A pause is asked for (the session measures when the loop stops anyway). */
  pausing: boolean;
}

export interface SessionKind<S, R extends SessionRun<S>, M extends object> {
  /** What the run is, for warnings ("pretraining"). */
  name: string;
  /** Checks and completes settings; throws with a message on bad ones. */
  normalize(settings: Partial<S>): S;
  totalSteps(settings: S): number;
  /** Images per step (for images / s). */
  batch(settings: S): number;
  /** The measurement fields of a snapshot with no run. */
  noMeasures: M;
  /** Builds the run of `settings` (the dataset, then the run layer's run). */
  build(settings: S, context: BuildContext<M>): Promise<R>;
  /** Measures the run's current weights; merged into the snapshot. Called after building, when due, and when the loop stops. */
  measure?(run: R, snapshot: SessionSnapshot<S, M>): Promise<Partial<M>>;
  /** Whether to measure after this step. */
  measureDue?(timing: MeasureTiming, run: R): boolean;
  messages: {
    idle: string;
    training(run: R): string;
    paused(run: R, snapshot: SessionSnapshot<S, M>): string;
    completed(run: R, snapshot: SessionSnapshot<S, M>): string;
  };
}

export interface RunSessionOptions {
  /** Where runs are saved so that a reload can resume them; without one a run lives in memory. */
  store?: RunStore | Promise<RunStore>;
  /** Key of the saved run in the store. Default "run". */
  key?: string;
  /** Backend name, recorded with saved runs. */
  backend?: string;
  /** Save every this many steps (and on pause and at the end). Default 50. */
  saveEvery?: number;
  /** Gives the page a turn between steps. Default yieldToEventLoop. */
  yieldTurn?: () => Promise<void>;
  /** Clock in milliseconds. Default performance.now. */
  now?: () => number;
  /** Where problems that do not stop the run are reported. Default console.warn. */
  warn?: (message: string) => void;
}

/** The snapshot fields of "no run": at start-up and after a run is discarded. */
function noRun<S>(): Pick<RunSnapshot<S>, "settings" | "step" | "totalSteps" | "history" | "imagesPerSecond" | "etaSeconds" | "savedStep" | "offer"> {
  return { settings: null, step: 0, totalSteps: 0, history: [], imagesPerSecond: null, etaSeconds: null, savedStep: null, offer: null };
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Whether an error is the browser's storage quota being exceeded (a DOMException, or a transaction aborted for it). */
export function isQuotaError(error: unknown): boolean {
  const e = error as { name?: unknown; message?: unknown } | null;
  return !!e && (e.name === "QuotaExceededError" || /quota|storage full/i.test(String(e.message ?? "")));
}

/**
 * Says, with what to do, that step `step` could not be saved: the run goes on in memory
 * and a reload would go back to `savedStep` (or lose the run when nothing was saved).
 */
export function saveFailure(error: unknown, step: number, savedStep: number | null): string {
  const lost = savedStep === null ? "a reload now would lose the run" : `a reload now would go back to step ${savedStep}`;
  if (isQuotaError(error)) {
    return `The browser's storage for this site is full (QuotaExceededError), so step ${step} was not saved: the run continues in memory, but ${lost}. ` +
      "Free space (clear this site's data in the browser's settings, or close other tabs of this site that keep runs), then pause to save again.";
  }
  return `Step ${step} could not be saved (${messageOf(error)}): the run continues in memory, but ${lost}. Pause to try saving again.`;
}

export class RunSession<S, R extends SessionRun<S>, M extends object> {
  private snapshot: SessionSnapshot<S, M>;
  private listeners = new Set<(s: SessionSnapshot<S, M>) => void>();
  private run: R | null = null;
  private saved: SavedRun<S> | null = null;
  private readonly store: Promise<RunStore> | null;
  private pauseRequested = false;
  private disposed = false;
  private times: StepTime[] = [];
  private measured = { step: -1, at: 0, cost: 0 };
  private downloads: ((bytes: Uint8Array | null) => void)[] = [];
  private readonly now: () => number;

  constructor(
    readonly kind: SessionKind<S, R, M>,
    readonly options: RunSessionOptions = {},
  ) {
    this.store = options.store ? Promise.resolve(options.store) : null;
    this.now = options.now ?? (() => performance.now());
    this.snapshot = {
      status: "idle",
      message: this.store ? "Looking for a saved run…" : kind.messages.idle,
      ...noRun<S>(),
      storage: null,
      storageProblem: null,
      error: null,
      ...kind.noMeasures,
    } as SessionSnapshot<S, M>;
  }

  /** Calls `listener` with every snapshot (now and on each change); returns the unsubscribe function. */
  subscribe(listener: (s: SessionSnapshot<S, M>) => void): () => void {
    this.listeners.add(listener);
    listener(this.snapshot);
    return () => this.listeners.delete(listener);
  }

  get state(): SessionSnapshot<S, M> {
    return this.snapshot;
  }

  get active(): boolean {
    return isBusy(this.snapshot.status);
  }

  private update(patch: Partial<RunSnapshot<S>> | Partial<M>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const l of this.listeners) l(this.snapshot);
  }

  /** Looks for a saved run to offer (nothing to do without a store). */
  async init(): Promise<void> {
    if (!this.store) return;
    try {
      const store = await this.store;
      let { run, problem } = parseSavedRun(await store.get(this.key), (s: Partial<S>) => this.kind.normalize(s));
      // Its checkpoint is read now, so that a damaged one is not offered only to fail on Resume.
      if (run) {
        try {
          decodeRunState(run.checkpoint);
        } catch (error) {
          problem = `its checkpoint is damaged: ${messageOf(error)}`;
          run = null;
        }
      }
      this.saved = run;
      if (run) {
        const { checkpoint: _bytes, ...offer } = run;
        void _bytes;
        this.update({ storage: store.where, offer, savedStep: run.step, message: `A saved run is waiting at step ${run.step} of ${run.totalSteps}.` });
      } else {
        this.update({
          storage: store.where,
          message: problem ? `The stored run could not be read (${problem}); start a new one.` : "No saved run: start one.",
          storageProblem: problem ? `The run saved in this browser could not be read (${problem}), so it cannot be resumed. Start a new run: its first save replaces it.` : null,
        });
      }
    } catch (error) {
      this.update({
        message: `Saved runs are unavailable (${messageOf(error)}).`,
        storageProblem: `Saved runs could not be read (${messageOf(error)}): a run will train, but a reload may lose it.`,
      });
    }
  }

  private get key(): string {
    return this.options.key ?? "run";
  }

  /** Starts a new run with `settings` (a saved run is replaced when the first save lands). */
  async start(settings: Partial<S>): Promise<void> {
    if (this.active) return;
    this.dropRun();
    let checked: S;
    try {
      checked = this.kind.normalize(settings);
    } catch (error) {
      this.fail(error);
      return;
    }
    await this.prepare(checked, null);
  }

  /** Continues the paused run, or the saved one offered on load. */
  async resume(): Promise<void> {
    if (this.active) return;
    if (this.run && this.snapshot.status === "paused") {
      await this.loop();
      return;
    }
    const saved = this.saved;
    if (!saved) return;
    this.dropRun();
    let state: TrainState;
    try {
      state = decodeRunState(saved.checkpoint);
    } catch (error) {
      this.fail(error);
      return;
    }
    await this.prepare(saved.settings, state, saved.checkpoint);
  }

  /** Asks the run to stop after the current step; it saves and reports "paused". */
  pause(): void {
    if (this.snapshot.status !== "training") return;
    this.pauseRequested = true;
    this.update({ status: "pausing", message: "Pausing after this step…" });
  }

  /** Forgets the current and the saved run. */
  async discard(): Promise<void> {
    if (this.active) return;
    this.dropRun();
    this.saved = null;
    if (this.store) {
      try {
        await (await this.store).delete(this.key);
      } catch (error) {
        this.warn(`could not delete the saved run: ${messageOf(error)}`);
      }
    }
    this.update({ status: "idle", message: "Run discarded.", ...noRun<S>(), error: null, storageProblem: null });
    this.update(this.kind.noMeasures);
  }

  /**
   * A resumable checkpoint of the current weights (safetensors bytes). While training
   * it is taken between two steps; with no run in memory, the saved run's.
   */
  async checkpoint(): Promise<Uint8Array | null> {
    const run = this.run;
    if (run && this.snapshot.status === "training") return new Promise((resolve) => this.downloads.push(resolve));
    if (run) return run.encodeState(await run.trainer.state());
    return this.saved?.checkpoint ?? null;
  }

  dispose(): void {
    this.disposed = true;
    this.pauseRequested = true;
    this.listeners.clear();
    if (!this.active) this.dropRun();
  }

  private dropRun(): void {
    this.run?.dispose();
    this.run = null;
  }

  private warn(message: string): void {
    (this.options.warn ?? ((m: string) => console.warn(m)))(message);
  }

  private fail(error: unknown): void {
    const message = messageOf(error);
    this.warn(`${this.kind.name} stopped: ${message}`);
    for (const resolve of this.downloads.splice(0)) resolve(null);
    this.update({ status: "error", error: message, message: `Stopped: ${message}` });
  }

  private async prepare(settings: S, resume: TrainState | null, resumeCheckpoint: Uint8Array | null = null): Promise<void> {
    this.update({
      status: "preparing",
      error: null,
      settings,
      step: resume?.step ?? 0,
      totalSteps: this.kind.totalSteps(settings),
      history: (resume?.history ?? []).map(lossPoint),
      imagesPerSecond: null,
      etaSeconds: null,
      offer: null,
      message: "Preparing the faces…",
    });
    this.update(this.kind.noMeasures);
    this.measured = { step: -1, at: 0, cost: 0 };
    try {
      const run = await this.kind.build(settings, {
        resume,
        resumeCheckpoint: resume ? resumeCheckpoint : null,
        checkpointEvery: this.store ? (this.options.saveEvery ?? 50) : 0,
        callbacks: { onStep: (report) => this.onStep(report), onCheckpoint: (state) => this.save(state) },
        progress: (message, fields) => this.update({ message, ...fields }),
        turn: () => this.turn(),
      });
      if (this.disposed) {
        run.dispose();
        return;
      }
      this.run = run;
      // A new run replaces the saved one at once, so a reload right away finds it.
      if (!resume) await this.save(await run.trainer.state());
      await this.measure();
      await this.loop();
    } catch (error) {
      this.dropRun();
      this.fail(error);
    }
  }

  private async loop(): Promise<void> {
    const run = this.run;
    if (!run) return;
    this.pauseRequested = false;
    this.times = [{ step: run.trainer.step, time: this.now() }];
    this.update({ status: "training", message: this.kind.messages.training(run) });
    try {
      await run.trainer.run();
      if (this.disposed) {
        this.dropRun();
        return;
      }
      // A pause asked during the last step still ends a finished run.
      const finished = run.trainer.step >= this.kind.totalSteps(run.settings);
      if (this.measured.step !== run.trainer.step) await this.measure();
      await this.flushDownloads();
      const message = finished ? this.kind.messages.completed(run, this.snapshot) : this.kind.messages.paused(run, this.snapshot);
      this.update({ status: finished ? "completed" : "paused", etaSeconds: null, message });
    } catch (error) {
      this.fail(error);
    }
  }

  private async onStep(report: StepReport): Promise<"stop" | undefined> {
    const run = this.run!;
    const { step } = report;
    const total = this.kind.totalSteps(run.settings);
    this.times.push({ step, time: this.now() });
    if (this.times.length > 64) this.times.splice(0, this.times.length - 64);
    const t = throughput(this.times, this.kind.batch(run.settings), total);
    this.update({ step, history: [...this.snapshot.history, lossPoint(report)], imagesPerSecond: t.imagesPerSecond, etaSeconds: t.etaSeconds });
    await this.flushDownloads();
    const timing = { step, totalSteps: total, sinceMs: this.now() - this.measured.at, costMs: this.measured.cost, pausing: this.pauseRequested };
    if (this.kind.measureDue?.(timing, run)) {
      await this.measure();
      // Throughput counts training only.
      this.times = [{ step, time: this.now() }];
    }
    await this.turn();
    return this.pauseRequested || this.disposed ? "stop" : undefined;
  }

  private turn(): Promise<void> {
    return (this.options.yieldTurn ?? yieldToEventLoop)();
  }

  private async measure(): Promise<void> {
    const run = this.run;
    if (!run || !this.kind.measure) return;
    const t0 = this.now();
    const fields = await this.kind.measure(run, this.snapshot);
    const at = this.now();
    this.measured = { step: run.trainer.step, at, cost: at - t0 };
    this.update(fields);
  }

  private async flushDownloads(): Promise<void> {
    const run = this.run;
    if (!this.downloads.length || !run) return;
    const bytes = await run.encodeState(await run.trainer.state());
    for (const resolve of this.downloads.splice(0)) resolve(bytes);
  }

  private async save(state: TrainState): Promise<void> {
    const run = this.run;
    if (!run || !this.store) return;
    try {
      const store = await this.store;
      const record = savedRun(run.settings, state, await run.encodeState(state), this.options.backend ?? "unknown");
      await store.put(this.key, record);
      this.saved = record;
      this.update({ savedStep: state.step, storage: store.where, storageProblem: null });
    } catch (error) {
      // Keep training: the run is still in memory, only the reload safety is lost.
      this.warn(`could not save the run: ${messageOf(error)}`);
      const problem = saveFailure(error, state.step, this.snapshot.savedStep);
      this.update({ message: `Could not save the run (${messageOf(error)}); it continues in memory.`, storageProblem: problem });
    }
  }
}

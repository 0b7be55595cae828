// The pretraining page's training session in the browser: prepares the dataset
// (IndexedDB cache), runs the shared Trainer one step at a time with a yield to the
// event loop in between, pauses and resumes, saves the run to IndexedDB every N
// steps and on pause, refreshes reconstructions of the held-out samples, and hands
// out checkpoint bytes. The page subscribes to plain snapshots and draws them.
import { yieldToEventLoop } from "./run-status.js";
import { cachedFaceDataset, memoryDatasetCache, type DatasetCache } from "../lib/data/cache.js";
import { indexedDbDatasetCache } from "../lib/data/cache-indexeddb.js";
import { reconstructImages } from "../lib/models/reconstruct.js";
import {
  createPretrainRun,
  decodeRunState,
  encodeRunState,
  heldOutMask,
  heldOutSamples,
  normalizePretrainSettings,
  parseSavedRun,
  presetConfig,
  pretrainDataConfig,
  savedRun,
  throughput,
  type HeldOutSamples,
  type PretrainPageRun,
  type PretrainSettings,
  type SavedRun,
  type StepTime,
} from "../lib/train/mae-run.js";
import { memoryRunStore, type RunStore } from "../lib/train/run-store.js";
import { indexedDbRunStore } from "../lib/train/run-store-indexeddb.js";
import type { TrainState } from "../lib/train/trainer.js";

export type SessionStatus = "idle" | "preparing" | "training" | "pausing" | "paused" | "completed" | "error";

export interface SampleReconstructions {
  /** Step of the weights that produced them. */
  step: number;
  samples: HeldOutSamples;
  /** [count * L] 1 = removed. */
  mask: Float32Array;
  /** Patch side in pixels. */
  patch: number;
  reconstruction: Uint8Array;
  composite: Uint8Array;
  /** Mean squared error on the removed patches, per sample (normalised pixels). */
  removedError: Float32Array;
}

export interface SessionSnapshot {
  status: SessionStatus;
  /** What is happening, in words (progress of the dataset, last save, errors). */
  message: string;
  /** Settings of the current run (null when there is none). */
  settings: PretrainSettings | null;
  step: number;
  totalSteps: number;
  history: { step: number; loss: number; lr: number }[];
  imagesPerSecond: number | null;
  etaSeconds: number | null;
  /** Step of the last save to IndexedDB (null when nothing is saved). */
  savedStep: number | null;
  /** A saved run found on load and offered for resuming (status idle). */
  offer: Omit<SavedRun, "checkpoint"> | null;
  reconstructions: SampleReconstructions | null;
  /** Where saved runs go: "IndexedDB" or "memory" (no persistent storage here). */
  storage: string;
  error: string | null;
}

export interface SessionOptions {
  /** Backend name, recorded in saved runs and checkpoints. */
  backend: string;
  /** Save every this many steps (and on pause and at the end). Default 50. */
  saveEvery?: number;
  /** Refresh the held-out reconstructions at most this often while training (ms). Default 4000. */
  refreshMs?: number;
  /** Number of held-out samples shown. Default 6. */
  samples?: number;
}

const RUN_KEY = "mae-pretraining";


/** The snapshot fields of "no run": at start-up and after a run is discarded. */
const NO_RUN = {
  settings: null,
  step: 0,
  totalSteps: 0,
  history: [],
  imagesPerSecond: null,
  etaSeconds: null,
  savedStep: null,
  offer: null,
  reconstructions: null,
} as const satisfies Partial<SessionSnapshot>;

export class PretrainSession {
  private snapshot: SessionSnapshot;
  private listeners = new Set<(s: SessionSnapshot) => void>();
  private run: PretrainPageRun | null = null;
  private saved: SavedRun | null = null;
  private store: Promise<RunStore>;
  private storageName = "IndexedDB";
  private datasets: Promise<DatasetCache>;
  private pauseRequested = false;
  private times: StepTime[] = [];
  private lastRefresh = 0;
  private refreshCost = 0;
  private downloads: ((bytes: Uint8Array) => void)[] = [];
  private disposed = false;
  private readonly saveEvery: number;
  private readonly refreshMs: number;
  private readonly sampleCount: number;
  private samplesBySize = new Map<number, HeldOutSamples>();

  constructor(readonly options: SessionOptions) {
    this.saveEvery = options.saveEvery ?? 50;
    this.refreshMs = options.refreshMs ?? 4000;
    this.sampleCount = options.samples ?? 6;
    this.store = indexedDbRunStore().catch((error) => {
      console.warn(`saved runs are kept in memory only: ${error}`);
      this.storageName = "memory";
      return memoryRunStore();
    });
    this.datasets = indexedDbDatasetCache("maskau", "datasets").catch(() => memoryDatasetCache());
    this.snapshot = {
      status: "idle",
      message: "Looking for a saved run…",
      ...NO_RUN,
      storage: this.storageName,
      error: null,
    };
  }

  /** Calls `listener` with every snapshot (now and on each change); returns the unsubscribe function. */
  subscribe(listener: (s: SessionSnapshot) => void): () => void {
    this.listeners.add(listener);
    listener(this.snapshot);
    return () => this.listeners.delete(listener);
  }

  get state(): SessionSnapshot {
    return this.snapshot;
  }

  private update(patch: Partial<SessionSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch, storage: this.storageName };
    for (const l of this.listeners) l(this.snapshot);
  }

  /** Looks for a saved run to offer. */
  async init(): Promise<void> {
    try {
      const store = await this.store;
      const { run, problem } = parseSavedRun(await store.get(RUN_KEY));
      this.saved = run;
      if (run) {
        const { checkpoint: _bytes, ...offer } = run;
        void _bytes;
        this.update({ offer, savedStep: run.step, message: `A saved run is waiting at step ${run.step} of ${run.totalSteps}.` });
      } else {
        this.update({ message: problem ? `The stored run could not be read (${problem}); start a new one.` : "No saved run: start one." });
      }
    } catch (error) {
      this.update({ message: `Saved runs are unavailable (${(error as Error).message}).` });
    }
  }

  get active(): boolean {
    return this.snapshot.status === "preparing" || this.snapshot.status === "training" || this.snapshot.status === "pausing";
  }

  /** Starts a new run with `settings` (a saved run is replaced when the first save lands). */
  async start(settings: Partial<PretrainSettings>): Promise<void> {
    if (this.active) return;
    this.dropRun();
    let checked: PretrainSettings;
    try {
      checked = normalizePretrainSettings(settings);
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
    let state: TrainState;
    try {
      state = decodeRunState(saved.checkpoint, "the saved run");
    } catch (error) {
      this.fail(error);
      return;
    }
    await this.prepare(saved.settings, state);
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
    try {
      await (await this.store).delete(RUN_KEY);
    } catch (error) {
      console.warn(`could not delete the saved run: ${error}`);
    }
    this.update({
      status: "idle",
      message: "Run discarded.",
      ...NO_RUN,
      error: null,
    });
  }

  /**
   * A resumable checkpoint of the current weights (safetensors bytes). While training
   * the snapshot is taken between two steps; with no run in memory, the saved run.
   */
  async checkpoint(): Promise<Uint8Array | null> {
    if (this.run && this.snapshot.status === "training") {
      return new Promise((resolve) => this.downloads.push(resolve));
    }
    if (this.run) return encodeRunState(this.run, await this.run.trainer.state());
    return this.saved?.checkpoint ?? null;
  }

  /** Held-out samples at `size` px (generated once). */
  samples(size: number): HeldOutSamples {
    let s = this.samplesBySize.get(size);
    if (!s) {
      s = heldOutSamples(size, this.sampleCount);
      this.samplesBySize.set(size, s);
    }
    return s;
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

  private fail(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    console.warn(`pretraining stopped: ${message}`);
    this.update({ status: "error", error: message, message: `Stopped: ${message}` });
  }

  private async prepare(settings: PretrainSettings, resume: TrainState | null): Promise<void> {
    this.update({
      status: "preparing",
      error: null,
      settings,
      step: resume?.step ?? 0,
      totalSteps: settings.steps,
      history: (resume?.history ?? []).map((r) => ({ step: r.step, loss: r.loss, lr: r.lr })),
      imagesPerSecond: null,
      etaSeconds: null,
      offer: null,
      reconstructions: null,
      message: "Preparing the faces…",
    });
    try {
      const config = pretrainDataConfig(settings);
      const cache = await this.datasets;
      const frames = config.subjects * config.sequencesPerSubject * config.framesPerSequence;
      const { dataset, fromCache } = await cachedFaceDataset(config, cache, {
        chunk: 32,
        onProgress: (done, total) => this.update({ message: `Rendering faces ${done} / ${total}…` }),
      });
      if (this.disposed) return;
      this.update({ message: `${frames} faces ${fromCache ? "read from the cache" : "rendered"}; building the model…` });
      await yieldToEventLoop();
      this.run = await createPretrainRun(settings, dataset, {
        checkpointEvery: this.saveEvery,
        createdBy: `MaskAU pretraining page (${this.options.backend})`,
        resume: resume ?? undefined,
        callbacks: {
          onStep: (report) => this.onStep(report.step, report.loss, report.lr),
          onCheckpoint: (state) => this.save(state),
        },
      });
      // A new run replaces the saved one at once, so a reload right away finds it.
      if (!resume) await this.save(await this.run.trainer.state());
      await this.refreshReconstructions();
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
    this.times = [{ step: run.trainer.step, time: performance.now() }];
    this.update({ status: "training", message: `Training on ${run.trainFrames} faces (fold 1 held out)…` });
    try {
      await run.trainer.run();
      // A pause asked during the last step still ends a finished run.
      const finished = run.trainer.step >= run.settings.steps;
      if (this.disposed) {
        this.dropRun();
        return;
      }
      await this.refreshReconstructions();
      this.flushDownloads(await run.trainer.state());
      this.update({
        status: finished ? "completed" : "paused",
        etaSeconds: null,
        message: finished
          ? `Finished ${run.trainer.step} steps; the run is saved, download its checkpoint below.`
          : `Paused at step ${run.trainer.step} and saved; resume here or after a reload.`,
      });
    } catch (error) {
      this.fail(error);
    }
  }

  private async onStep(step: number, loss: number, lr: number): Promise<"stop" | undefined> {
    const run = this.run!;
    this.times.push({ step, time: performance.now() });
    if (this.times.length > 64) this.times.splice(0, this.times.length - 64);
    const t = throughput(this.times, run.settings.batch, run.settings.steps);
    this.update({
      step,
      history: [...this.snapshot.history, { step, loss, lr }],
      imagesPerSecond: t.imagesPerSecond,
      etaSeconds: t.etaSeconds,
    });
    if (this.downloads.length) this.flushDownloads(await run.trainer.state());
    // At most every refreshMs, and at most ~10% of the time on a slow backend.
    const since = performance.now() - this.lastRefresh;
    if (since > this.refreshMs && since > 10 * this.refreshCost && step < run.settings.steps && !this.pauseRequested) {
      await this.refreshReconstructions();
    }
    await yieldToEventLoop();
    return this.pauseRequested ? "stop" : undefined;
  }

  private flushDownloads(state: TrainState): void {
    if (!this.downloads.length || !this.run) return;
    const bytes = encodeRunState(this.run, state);
    for (const resolve of this.downloads.splice(0)) resolve(bytes);
  }

  private async save(state: TrainState): Promise<void> {
    const run = this.run;
    if (!run) return;
    try {
      const bytes = encodeRunState(run, state);
      const record = savedRun(run.settings, state, bytes, this.options.backend);
      await (await this.store).put(RUN_KEY, record);
      this.saved = record;
      this.update({ savedStep: state.step });
    } catch (error) {
      // Keep training: the run is still in memory, only the reload safety is lost.
      console.warn(`could not save the run: ${error}`);
      this.update({ message: `Could not save the run (${(error as Error).message}); it continues in memory.` });
    }
  }

  private async refreshReconstructions(): Promise<void> {
    const run = this.run;
    if (!run) return;
    const t0 = performance.now();
    const config = presetConfig(run.settings.preset);
    if (config.normPixLoss) return; // predictions are per-patch normalised: no pixel-space view
    const samples = this.samples(config.imgSize);
    const mask = heldOutMask(samples.count, run.mae.numPatches);
    const out = await reconstructImages(run.mae, samples.images, mask);
    this.lastRefresh = performance.now();
    this.refreshCost = this.lastRefresh - t0;
    this.update({
      reconstructions: {
        step: run.trainer.step,
        samples,
        mask,
        patch: config.patchSize,
        reconstruction: out.reconstruction,
        composite: out.composite,
        removedError: out.removedError,
      },
    });
  }
}

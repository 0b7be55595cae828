// The Teacher page's training session: renders the browser dataset (IndexedDB cache),
// trains a tiny stage-1 detector with the shared Trainer one step at a time (yielding
// to the event loop in between), measures the held-out F1 and the learned relation
// graph every few steps, and pauses and resumes in memory. The page subscribes to
// plain snapshots and draws them.
import { yieldToEventLoop } from "./run-status.js";
import { cachedFaceDataset, memoryDatasetCache, type DatasetCache } from "../lib/data/cache.js";
import { indexedDbDatasetCache } from "../lib/data/cache-indexeddb.js";
import type { AUDataset } from "../lib/data/dataset.js";
import { faceConfigKey } from "../lib/data/generate.js";
import { gatherImages } from "../lib/data/frames.js";
import { relationGraph, type RelationGraph } from "../lib/eval/relation-graph.js";
import {
  createDetectorRun,
  detectorRunDataConfig,
  normalizeDetectorRun,
  type DetectorPageRun,
  type DetectorRunSettings,
  type EvalPoint,
} from "../lib/train/detector-browser.js";

export type DetectorSessionStatus = "idle" | "preparing" | "training" | "pausing" | "paused" | "completed" | "error";

export interface DetectorSessionSnapshot {
  status: DetectorSessionStatus;
  message: string;
  settings: DetectorRunSettings | null;
  step: number;
  totalSteps: number;
  history: { step: number; loss: number }[];
  evals: EvalPoint[];
  /** The relation graph of the run's weights at the last evaluation. */
  graph: (RelationGraph & { step: number }) | null;
  imagesPerSecond: number | null;
  aus: number[];
  error: string | null;
}

/** Faces the run's relation graph is averaged over (the first of the held-out subset). */
const GRAPH_FACES = 32;


export class DetectorSession {
  private snapshot: DetectorSessionSnapshot = {
    status: "idle",
    message: "Press Start to train a detector in this browser.",
    settings: null,
    step: 0,
    totalSteps: 0,
    history: [],
    evals: [],
    graph: null,
    imagesPerSecond: null,
    aus: [],
    error: null,
  };
  private listeners = new Set<(s: DetectorSessionSnapshot) => void>();
  private run: DetectorPageRun | null = null;
  private datasets: Promise<DatasetCache>;
  private loaded = new Map<string, AUDataset>();
  private pauseRequested = false;
  private disposed = false;
  private times: number[] = [];

  constructor() {
    this.datasets = indexedDbDatasetCache("maskau", "datasets").catch(() => memoryDatasetCache());
  }

  subscribe(listener: (s: DetectorSessionSnapshot) => void): () => void {
    this.listeners.add(listener);
    listener(this.snapshot);
    return () => this.listeners.delete(listener);
  }

  get state(): DetectorSessionSnapshot {
    return this.snapshot;
  }

  get active(): boolean {
    const s = this.snapshot.status;
    return s === "preparing" || s === "training" || s === "pausing";
  }

  private update(patch: Partial<DetectorSessionSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const l of this.listeners) l(this.snapshot);
  }

  /** Starts a new run (the current one is dropped). */
  async start(settings: Partial<DetectorRunSettings>): Promise<void> {
    if (this.active) return;
    this.dropRun();
    let s: DetectorRunSettings;
    try {
      s = normalizeDetectorRun(settings);
    } catch (error) {
      this.fail(error);
      return;
    }
    this.update({ status: "preparing", settings: s, step: 0, totalSteps: s.steps, history: [], evals: [], graph: null, imagesPerSecond: null, error: null, message: "Preparing the faces…" });
    try {
      const dataset = await this.dataset(s);
      if (this.disposed) return;
      this.update({ message: "Building the detector…", aus: dataset.aus.slice() });
      await yieldToEventLoop();
      this.run = await createDetectorRun(s, dataset, { onStep: (r) => this.onStep(r.step, r.loss) });
      await this.measure();
      await this.loop();
    } catch (error) {
      this.dropRun();
      this.fail(error);
    }
  }

  /** Continues a paused run. */
  async resume(): Promise<void> {
    if (this.active || !this.run || this.snapshot.status !== "paused") return;
    await this.loop();
  }

  /** Stops after the current step. */
  pause(): void {
    if (this.snapshot.status !== "training") return;
    this.pauseRequested = true;
    this.update({ status: "pausing", message: "Pausing after this step…" });
  }

  dispose(): void {
    this.disposed = true;
    this.pauseRequested = true;
    this.listeners.clear();
    if (!this.active) this.dropRun();
  }

  private async dataset(s: DetectorRunSettings): Promise<AUDataset> {
    const config = detectorRunDataConfig(s);
    const key = faceConfigKey(config);
    const hit = this.loaded.get(key);
    if (hit) return hit;
    const { dataset, fromCache } = await cachedFaceDataset(config, await this.datasets, {
      chunk: 32,
      onProgress: (done, total) => this.update({ message: `Rendering faces ${done} / ${total}…` }),
    });
    this.update({ message: `${dataset.labels.length / dataset.aus.length} faces ${fromCache ? "read from the cache" : "rendered"}.` });
    this.loaded.clear();
    this.loaded.set(key, dataset);
    return dataset;
  }

  private dropRun(): void {
    this.run?.dispose();
    this.run = null;
  }

  private fail(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    console.warn(`detector training stopped: ${message}`);
    this.update({ status: "error", error: message, message: `Stopped: ${message}` });
  }

  /** Held-out F1 and relation graph of the current weights. */
  private async measure(): Promise<void> {
    const run = this.run;
    if (!run) return;
    const ev = await run.evaluate();
    const faces = gatherImages(run.dataset, run.evalSet.subarray(0, GRAPH_FACES));
    const graph = await relationGraph(run.detector, faces);
    const step = run.trainer.step;
    const evals = [...this.snapshot.evals.filter((e) => e.step !== step), { step, meanF1: ev.meanF1, f1: ev.f1 }];
    this.update({ evals, graph: { ...graph, step } });
  }

  private async loop(): Promise<void> {
    const run = this.run;
    if (!run) return;
    this.pauseRequested = false;
    this.times = [performance.now()];
    this.update({
      status: "training",
      message: `Training on ${run.train.length} faces; F1 on ${run.evalSet.length} held-out faces (fold 1) every ${run.settings.every} steps…`,
    });
    try {
      await run.trainer.run();
      if (this.disposed) {
        this.dropRun();
        return;
      }
      const finished = run.trainer.step >= run.settings.steps;
      if (!this.snapshot.evals.some((e) => e.step === run.trainer.step)) await this.measure();
      const last = this.snapshot.evals.at(-1);
      const f1 = last ? ` held-out mean F1 ${(100 * last.meanF1).toFixed(1)}%` : "";
      this.update({
        status: finished ? "completed" : "paused",
        message: finished ? `Finished ${run.trainer.step} steps;${f1}.` : `Paused at step ${run.trainer.step};${f1}. Resume continues the same run.`,
      });
    } catch (error) {
      this.fail(error);
    }
  }

  private async onStep(step: number, loss: number): Promise<"stop" | undefined> {
    const run = this.run!;
    this.times.push(performance.now());
    if (this.times.length > 32) this.times.splice(0, this.times.length - 32);
    const span = (this.times.at(-1)! - this.times[0]) / 1000;
    const imagesPerSecond = span > 0 ? ((this.times.length - 1) * run.settings.batch) / span : null;
    this.update({ step, history: [...this.snapshot.history, { step, loss }], imagesPerSecond });
    if (step % run.settings.every === 0 || step === run.settings.steps) {
      await this.measure();
      this.times = [performance.now()];
    }
    await yieldToEventLoop();
    return this.pauseRequested || this.disposed ? "stop" : undefined;
  }
}

// The Speed page's measurement as one small state machine: start (with settings), stop
// (after the step under way), and plain snapshots that the page subscribes to and draws.
//
//   idle / finished / stopped / failed ──start──► running ──stop──► stopping ──► stopped
//                                                    └──────────────────────────► finished
//
// No DOM: between steps it yields to the event loop (a message, not a timer, so a
// background tab keeps measuring at full speed), which is where the page redraws.
import * as tf from "@tensorflow/tfjs-core";
import { yieldToEventLoop } from "../runs/session.js";
import { runSpeed, type SpeedProgress, type SpeedRow } from "./speed-run.js";
import { orderWorkloads, SPEED_STEPS, type SpeedSettings } from "./speed-settings.js";

export type SpeedStatus = "idle" | "running" | "stopping" | "finished" | "stopped" | "failed";

export interface SpeedSnapshot {
  status: SpeedStatus;
  /** The settings of the current or last run. */
  settings: SpeedSettings | null;
  rows: SpeedRow[];
  progress: SpeedProgress | null;
  /** Live tensors before the run and after it (every workload disposed): equal when nothing leaked. */
  tensorsBefore: number | null;
  tensorsAfter: number | null;
  message: string;
}

const IDLE: SpeedSnapshot = { status: "idle", settings: null, rows: [], progress: null, tensorsBefore: null, tensorsAfter: null, message: "Not run yet." };

const steps = (n: number) => `${n} step${n === 1 ? "" : "s"}`;

export function isSpeedBusy(status: SpeedStatus): boolean {
  return status === "running" || status === "stopping";
}

export class SpeedSession {
  private snapshot: SpeedSnapshot = IDLE;
  private listeners = new Set<(s: SpeedSnapshot) => void>();
  private stopAsked = false;

  constructor(private readonly between: () => Promise<void> = yieldToEventLoop) {}

  get state(): SpeedSnapshot {
    return this.snapshot;
  }

  /** Calls `listener` with every snapshot (now and on each change); returns the unsubscribe function. */
  subscribe(listener: (s: SpeedSnapshot) => void): () => void {
    this.listeners.add(listener);
    listener(this.snapshot);
    return () => this.listeners.delete(listener);
  }

  private set(change: Partial<SpeedSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...change };
    for (const l of this.listeners) l(this.snapshot);
  }

  /** Times the chosen workloads; resolves when the run has finished, stopped or failed. */
  async start(requested: SpeedSettings): Promise<void> {
    if (isSpeedBusy(this.snapshot.status)) return;
    const settings: SpeedSettings = { ...SPEED_STEPS.normalize({ warmup: requested.warmup, iters: requested.iters }), workloads: orderWorkloads(requested.workloads) };
    if (settings.workloads.length === 0) {
      this.set({ ...IDLE, message: "Choose at least one workload." });
      return;
    }
    this.stopAsked = false;
    this.set({ status: "running", settings, rows: [], progress: null, tensorsBefore: tf.memory().numTensors, tensorsAfter: null, message: "Starting…" });
    try {
      const { stopped } = await runSpeed({
        ...settings,
        between: this.between,
        stopRequested: () => this.stopAsked,
        onRow: (row) => this.set({ rows: [...this.snapshot.rows, row] }),
        onProgress: (p) => this.set({ progress: p, message: this.progressMessage(p, settings) }),
      });
      const timed = this.snapshot.rows.length;
      const each = `${steps(settings.warmup)} of warm-up and ${steps(settings.iters)} timed per workload`;
      this.set({
        status: stopped ? "stopped" : "finished",
        progress: null,
        tensorsAfter: tf.memory().numTensors,
        message: stopped ? `Stopped: ${timed} of ${settings.workloads.length} workloads timed (${each}).` : `Timed ${timed} workloads, ${each}.`,
      });
    } catch (error) {
      this.set({ status: "failed", progress: null, tensorsAfter: tf.memory().numTensors, message: `The run failed: ${error instanceof Error ? error.message : String(error)}` });
    }
  }

  /** Ends the run after the step under way (the workload's timed steps so far still make a row). */
  stop(): void {
    if (this.snapshot.status !== "running") return;
    this.stopAsked = true;
    this.set({ status: "stopping", message: "Stopping after this step…" });
  }

  private progressMessage(p: SpeedProgress, s: SpeedSettings): string {
    if (this.stopAsked) return "Stopping after this step…";
    const k = s.workloads.indexOf(p.workload) + 1;
    const where = `${p.workload} (${k} of ${s.workloads.length})`;
    return p.phase === "building" ? `${where}: building the model` : `${where}: ${p.phase} (${p.done} of ${p.total} steps in all)`;
  }

  dispose(): void {
    this.stopAsked = true;
    this.listeners.clear();
  }
}

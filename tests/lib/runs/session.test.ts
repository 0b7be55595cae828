// The page run session's state machine, driven in Node with fake runs: a trainer that
// counts steps and keeps one variable, so transitions, saves, reloads and measurements
// can be checked without tensors.
import { describe, expect, it } from "vitest";
import { encodeTrainState } from "../../../src/lib/io/checkpoint.js";
import { RunSession, type RunStatus, type SessionKind, type SessionRun } from "../../../src/lib/runs/session.js";
import { memoryRunStore } from "../../../src/lib/train/run-store.js";
import type { StepReport, TrainerCallbacks, TrainState } from "../../../src/lib/train/trainer.js";

type Settings = { steps: number; batch: number };

/** A Trainer stand-in: step k's loss is 1/k, its variable w holds the step count. */
class FakeTrainer {
  step = 0;
  history: StepReport[] = [];
  constructor(
    readonly steps: number,
    readonly callbacks: Required<Pick<TrainerCallbacks, "onStep" | "onCheckpoint">>,
    readonly every: number,
  ) {}
  async run(): Promise<"completed" | "stopped"> {
    while (this.step < this.steps) {
      this.step += 1;
      // Loss terms and gradient norms on even steps only: a history point carries them when there are some.
      const extra: Pick<StepReport, "metrics" | "gradNorms"> = this.step % 2 === 0 ? { metrics: { term: this.step }, gradNorms: { all: 2 * this.step } } : { metrics: {} };
      const report: StepReport = { step: this.step, totalSteps: this.steps, lr: 0.1, loss: 1 / this.step, ...extra, ms: 1 };
      this.history.push(report);
      const verdict = await this.callbacks.onStep(report);
      if (this.every > 0 && this.step % this.every === 0 && this.step < this.steps) await this.callbacks.onCheckpoint(await this.state());
      if (verdict === "stop") {
        await this.callbacks.onCheckpoint(await this.state());
        return "stopped";
      }
    }
    await this.callbacks.onCheckpoint(await this.state());
    return "completed";
  }
  async state(): Promise<TrainState> {
    return {
      step: this.step,
      config: { steps: this.steps, lr: 0.1, warmupSteps: 0, minLr: 0 },
      variables: { w: { shape: [1], values: Float32Array.of(this.step) } },
      optimizer: { step: this.step, buffers: this.step ? { "w.exp_avg": { shape: [1], values: Float32Array.of(0) } } : {} },
      history: this.history.slice(),
    };
  }
  restore(state: TrainState): void {
    this.step = state.step;
    this.history = state.history.slice();
  }
}

interface FakeRun extends SessionRun<Settings> {
  trainer: FakeTrainer;
  disposed: boolean;
}

interface Measures {
  measured: number[];
}

/** A kind whose build records what it was given and whose measure records the step. */
function fakeKind(log: { builds: { settings: Settings; resumeStep: number | null; resumeBytes?: number }[]; runs: FakeRun[] }, options: { measureEvery?: number; pauseAt?: number; session?: () => RunSession<Settings, FakeRun, Measures> } = {}): SessionKind<Settings, FakeRun, Measures> {
  return {
    name: "fake training",
    normalize: (s) => {
      const steps = Number(s.steps ?? 4);
      if (!Number.isFinite(steps)) throw new Error(`steps must be a number, got ${s.steps}`);
      return { steps: Math.max(1, Math.round(steps)), batch: Number(s.batch ?? 2) };
    },
    totalSteps: (s) => s.steps,
    batch: (s) => s.batch,
    noMeasures: { measured: [] },
    async build(settings, { resume, resumeCheckpoint, callbacks, checkpointEvery, progress, turn }) {
      progress("building the fake…");
      await turn();
      log.builds.push({ settings, resumeStep: resume?.step ?? null, ...(resumeCheckpoint ? { resumeBytes: resumeCheckpoint.length } : {}) });
      const trainer = new FakeTrainer(settings.steps, {
        onStep: async (r) => {
          // A page that clicks Pause at a given step.
          if (r.step === options.pauseAt) options.session?.().pause();
          return callbacks.onStep(r);
        },
        onCheckpoint: callbacks.onCheckpoint,
      }, checkpointEvery);
      if (resume) trainer.restore(resume);
      const run: FakeRun = {
        settings,
        trainer,
        disposed: false,
        encodeState: (state) => encodeTrainState(state, { model: "fake", config: {} }),
        dispose() {
          this.disposed = true;
        },
      };
      log.runs.push(run);
      return run;
    },
    measure: async (run, snapshot) => ({ measured: [...snapshot.measured, run.trainer.step] }),
    measureDue: (t) => options.measureEvery !== undefined && t.step % options.measureEvery === 0,
    messages: {
      idle: "Press Start.",
      training: () => "Training…",
      paused: (run) => `Paused at step ${run.trainer.step}.`,
      completed: (run) => `Finished ${run.trainer.step} steps.`,
    },
  };
}

const now = (() => {
  let t = 0;
  return () => (t += 10);
})();
const quiet = { yieldTurn: async () => {}, now, warn: () => {} };

/** Statuses seen, without repeats in a row. */
function statuses(session: RunSession<Settings, FakeRun, Measures>): RunStatus[] {
  const seen: RunStatus[] = [];
  session.subscribe((s) => {
    if (seen.at(-1) !== s.status) seen.push(s.status);
  });
  return seen;
}

describe("run session", () => {
  it("start → training → pausing → paused → resumed → finished, saving on pause and at the end", async () => {
    const log = { builds: [], runs: [] } as Parameters<typeof fakeKind>[0];
    const store = memoryRunStore();
    let session!: RunSession<Settings, FakeRun, Measures>;
    session = new RunSession(fakeKind(log, { pauseAt: 3, session: () => session }), { ...quiet, store, key: "k", backend: "fake", saveEvery: 2 });
    const seen = statuses(session);
    await session.init();
    expect(session.state).toMatchObject({ status: "idle", message: "No saved run: start one.", storage: "memory", offer: null });

    await session.start({ steps: 6, batch: 4 });
    expect(seen).toEqual(["idle", "preparing", "training", "pausing", "paused"]);
    expect(session.state).toMatchObject({ status: "paused", step: 3, totalSteps: 6, savedStep: 3, message: "Paused at step 3.", settings: { steps: 6, batch: 4 } });
    expect(session.state.history.map((h) => h.step)).toEqual([1, 2, 3]);
    expect(session.state.imagesPerSecond).toBeGreaterThan(0);
    // Measured after building (step 0) and when the loop stopped.
    expect(session.state.measured).toEqual([0, 3]);
    expect(((await store.get("k")) as { step: number }).step).toBe(3);

    await session.resume();
    expect(seen).toEqual(["idle", "preparing", "training", "pausing", "paused", "training", "completed"]);
    expect(session.state).toMatchObject({ status: "completed", step: 6, savedStep: 6, message: "Finished 6 steps.", etaSeconds: null });
    expect(session.state.history.map((h) => h.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(session.state.measured).toEqual([0, 3, 6]);
    // One run, built once: resuming a paused run continues it in memory.
    expect(log.builds).toEqual([{ settings: { steps: 6, batch: 4 }, resumeStep: null }]);
  });

  it("after a reload, offers the saved run and resumes it from the stored snapshot", async () => {
    const store = memoryRunStore();
    const first = { builds: [], runs: [] } as Parameters<typeof fakeKind>[0];
    let a!: RunSession<Settings, FakeRun, Measures>;
    a = new RunSession(fakeKind(first, { pauseAt: 2, session: () => a }), { ...quiet, store, key: "k", backend: "fake" });
    await a.init();
    await a.start({ steps: 5, batch: 1 });
    expect(a.state).toMatchObject({ status: "paused", step: 2, savedStep: 2 });
    a.dispose();
    expect(first.runs[0].disposed).toBe(true);

    // The page is reloaded: a new session on the same store.
    const second = { builds: [], runs: [] } as Parameters<typeof fakeKind>[0];
    const b = new RunSession(fakeKind(second), { ...quiet, store, key: "k", backend: "fake" });
    const seen = statuses(b);
    expect(b.state.message).toBe("Looking for a saved run…");
    await b.init();
    expect(b.state).toMatchObject({ status: "idle", savedStep: 2, offer: { step: 2, totalSteps: 5, backend: "fake", settings: { steps: 5, batch: 1 }, loss: 0.5 } });
    expect(b.state.offer).not.toHaveProperty("checkpoint");
    expect(b.state.message).toBe("A saved run is waiting at step 2 of 5.");
    // The checkpoint of the offered run can be downloaded before resuming.
    expect((await b.checkpoint())!.length).toBeGreaterThan(0);

    const savedBytes = (await b.checkpoint())!.length;
    await b.resume();
    // The build gets the saved checkpoint too (for what the trainer state lacks, e.g. BatchNorm statistics).
    expect(second.builds).toEqual([{ settings: { steps: 5, batch: 1 }, resumeStep: 2, resumeBytes: savedBytes }]);
    expect(seen).toEqual(["idle", "preparing", "training", "completed"]);
    // The history came back with the snapshot: one point per step since step 1.
    expect(b.state.history.map((h) => h.step)).toEqual([1, 2, 3, 4, 5]);
    // With the steps' loss terms and gradient norms, restored ones included; none where a step had none.
    expect(b.state.history.slice(0, 2)).toEqual([{ step: 1, loss: 1, lr: 0.1 }, { step: 2, loss: 0.5, lr: 0.1, metrics: { term: 2 }, gradNorms: { all: 4 } }]);
    expect(b.state.history[3]).toEqual({ step: 4, loss: 0.25, lr: 0.1, metrics: { term: 4 }, gradNorms: { all: 8 } });
    expect(b.state).toMatchObject({ status: "completed", step: 5, savedStep: 5, offer: null });
  });

  it("a stored value that is not a usable run is reported, and discard forgets the saved run", async () => {
    const store = memoryRunStore();
    await store.put("k", { version: 1, settings: { steps: "many" }, step: 1, totalSteps: 2, checkpoint: new Uint8Array(1) });
    const log = { builds: [], runs: [] } as Parameters<typeof fakeKind>[0];
    const session = new RunSession(fakeKind(log), { ...quiet, store, key: "k" });
    await session.init();
    expect(session.state.offer).toBeNull();
    expect(session.state.message).toMatch(/could not be read \(the saved run's settings are invalid \(steps must be a number/);

    await session.start({ steps: 2 });
    expect(session.state).toMatchObject({ status: "completed", savedStep: 2 });
    await session.discard();
    expect(session.state).toMatchObject({ status: "idle", settings: null, step: 0, history: [], savedStep: null, measured: [], message: "Run discarded." });
    expect(await store.get("k")).toBeUndefined();
    expect(log.runs[0].disposed).toBe(true);
  });

  it("without a store: measures when due, refuses bad settings, and a failing build ends in error", async () => {
    const log = { builds: [], runs: [] } as Parameters<typeof fakeKind>[0];
    const session = new RunSession(fakeKind(log, { measureEvery: 2 }), quiet);
    expect(session.state).toMatchObject({ status: "idle", message: "Press Start.", storage: null });
    await session.init();
    await session.start({ steps: 5 });
    expect(session.state).toMatchObject({ status: "completed", savedStep: null, storage: null });
    expect(session.state.measured).toEqual([0, 2, 4, 5]);

    await session.start({ steps: Number.NaN });
    expect(session.state).toMatchObject({ status: "error", error: "steps must be a number, got NaN" });

    const broken = new RunSession({ ...fakeKind(log), build: async () => Promise.reject(new Error("no faces")) }, quiet);
    await broken.start({});
    expect(broken.state).toMatchObject({ status: "error", message: "Stopped: no faces" });
  });

  it("hands out a checkpoint between two steps while training", async () => {
    const log = { builds: [], runs: [] } as Parameters<typeof fakeKind>[0];
    let session!: RunSession<Settings, FakeRun, Measures>;
    let download: Promise<Uint8Array | null> | undefined;
    const kind = fakeKind(log);
    const build = kind.build;
    kind.build = async (settings, context) => {
      const run = await build(settings, context);
      const onStep = run.trainer.callbacks.onStep;
      run.trainer.callbacks.onStep = async (r) => {
        if (r.step === 2) download = session.checkpoint();
        return onStep(r);
      };
      return run;
    };
    session = new RunSession(kind, quiet);
    await session.start({ steps: 4 });
    const bytes = await download!;
    const { decodeRunState } = await import("../../../src/lib/runs/session.js");
    expect(decodeRunState(bytes!).step).toBe(2);
  });
  it("storage full: the run trains on in memory, says so with what to do, and the next save that works clears it", async () => {
    const store = memoryRunStore();
    let full = true;
    const put = store.put;
    store.put = async (k, v) => {
      if (full) throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
      return put(k, v);
    };
    const log = { builds: [], runs: [] } as Parameters<typeof fakeKind>[0];
    let session!: RunSession<Settings, FakeRun, Measures>;
    session = new RunSession(fakeKind(log, { pauseAt: 3, session: () => session }), { ...quiet, store, key: "k", saveEvery: 2 });
    const problems: (string | null)[] = [];
    session.subscribe((s) => problems.at(-1) !== s.storageProblem && problems.push(s.storageProblem));
    await session.init();
    await session.start({ steps: 6 });
    // Not stopped: paused at step 3 as asked, nothing saved.
    expect(session.state).toMatchObject({ status: "paused", step: 3, savedStep: null, error: null });
    expect(session.state.storageProblem).toMatch(/^The browser's storage for this site is full \(QuotaExceededError\), so step 3 was not saved: the run continues in memory, but a reload now would lose the run\. Free space .* then pause to save again\.$/);
    expect(problems[1]).toMatch(/step 0 was not saved/);
    expect(await store.get("k")).toBeUndefined();
    // Space is freed: resuming saves at the next checkpoint and the warning goes.
    full = false;
    await session.resume();
    expect(session.state).toMatchObject({ status: "completed", step: 6, savedStep: 6, storageProblem: null });
    expect(((await store.get("k")) as { step: number }).step).toBe(6);
    // Another failure names the step a reload would go back to.
    const { saveFailure } = await import("../../../src/lib/runs/session.js");
    expect(saveFailure(new Error("disk on fire"), 8, 6)).toBe("Step 8 could not be saved (disk on fire): the run continues in memory, but a reload now would go back to step 6. Pause to try saving again.");
    expect(saveFailure(new DOMException("x", "AbortError"), 8, 6)).toMatch(/^Step 8 could not be saved/);
  });

  it("a stored run whose checkpoint is damaged is not offered; a new run replaces it", async () => {
    const store = memoryRunStore();
    const good = await encodeTrainState(await new FakeTrainer(3, { onStep: async () => undefined, onCheckpoint: async () => {} }, 0).state(), { model: "fake", config: {} });
    const damaged: [string, Uint8Array][] = [
      ["random bytes", new Uint8Array(64).map((_, i) => (i * 97) & 255)],
      ["cut short", good.subarray(0, good.length - 5)],
      ["header only", good.subarray(0, 8)],
    ];
    for (const [what, checkpoint] of damaged) {
      await store.put("k", { version: 1, settings: { steps: 4, batch: 2 }, step: 2, totalSteps: 4, loss: 0.5, savedAt: "", backend: "fake", checkpoint });
      const log = { builds: [], runs: [] } as Parameters<typeof fakeKind>[0];
      const session = new RunSession(fakeKind(log), { ...quiet, store, key: "k" });
      await session.init();
      expect(session.state.offer, what).toBeNull();
      expect(session.state.storageProblem, what).toMatch(/^The run saved in this browser could not be read \(its checkpoint is damaged: .+\), so it cannot be resumed\. Start a new run: its first save replaces it\.$/);
      await session.resume(); // nothing to resume: no error
      expect(session.state.status).toBe("idle");
      await session.start({ steps: 2 });
      expect(session.state, what).toMatchObject({ status: "completed", savedStep: 2, storageProblem: null });
      expect(((await store.get("k")) as { step: number }).step).toBe(2);
    }
    // A store that cannot be read at all: the page still trains, in memory.
    const unreadable = { ...memoryRunStore(), get: async () => Promise.reject(new DOMException("broken", "UnknownError")) };
    const log = { builds: [], runs: [] } as Parameters<typeof fakeKind>[0];
    const session = new RunSession(fakeKind(log), { ...quiet, store: unreadable, key: "k" });
    await session.init();
    expect(session.state.storageProblem).toMatch(/^Saved runs could not be read \(broken\)/);
    await session.start({ steps: 2 });
    expect(session.state).toMatchObject({ status: "completed", step: 2, storageProblem: null });
  });
});

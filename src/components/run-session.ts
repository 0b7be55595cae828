// The pages' training sessions: the run layer's RunSession (src/lib/runs/session.ts) with
// the browser's storage (browser-storage.ts). Pretraining and distillation runs are saved
// every 50 steps and on pause, so a reload can resume them; the Teacher page's runs live
// in memory.
import { Generators } from "observablehq:stdlib";
import { decodeRunState, lossPoint, RunSession, type LossPoint, type SessionSnapshot } from "../lib/runs/session.js";
import { detectorSessionKind, type DetectorMeasures, type DetectorPageResources, type DetectorPageRun, type DetectorRunSettings } from "../lib/train/detector-browser.js";
import { pretrainSessionKind, type PretrainMeasures, type PretrainPageRun, type PretrainSettings } from "../lib/train/mae-run.js";
import { studentSessionKind, type ShippedStudentModels, type StudentMeasures, type StudentPageRun, type StudentRunSettings } from "../lib/train/student-browser.js";
import { browserDatasets, browserRunStore } from "./browser-storage.js";

export type PretrainSession = RunSession<PretrainSettings, PretrainPageRun, PretrainMeasures>;
export type DetectorSession = RunSession<DetectorRunSettings, DetectorPageRun, DetectorMeasures>;
export type StudentSession = RunSession<StudentRunSettings, StudentPageRun, StudentMeasures>;

/** The MAE pretraining page's session; it looks for a saved run at once. */
export function pretrainSession(backend: string): PretrainSession {
  const session = new RunSession(pretrainSessionKind({ datasets: browserDatasets(), backend }), {
    store: browserRunStore(),
    key: "mae-pretraining",
    backend,
    saveEvery: 50,
  });
  void session.init();
  return session;
}

/**
 * The Student & KD page's session; `models` loads the shipped MAE and teachers
 * (shipped-teachers.ts, not imported here: its files would be copied for every page that
 * imports this module). It looks for a saved run at once.
 */
export function studentSession(backend: string, models: () => Promise<ShippedStudentModels>): StudentSession {
  const session = new RunSession(studentSessionKind({ datasets: browserDatasets(), backend, models }), {
    store: browserRunStore(),
    key: "student-kd",
    backend,
    saveEvery: 50,
  });
  void session.init();
  return session;
}

/**
 * The Teacher page's session; `models` loads the shipped MAE and clean detector a teacher
 * run reads (shipped-detectors.ts, not imported here, as for studentSession).
 */
export function detectorSession(backend: string, models: () => Promise<Required<DetectorPageResources>>): DetectorSession {
  return new RunSession(detectorSessionKind({ datasets: browserDatasets(), models, backend }));
}

/**
 * A session's snapshots as a page value, or one part of them (`pick`) that changes less
 * often than the snapshot does (the relation graph changes only at evaluations), so the
 * cells that read it redraw only when it changes.
 */
export function observeSession<S, M, T = SessionSnapshot<S, M>>(
  session: { subscribe(listener: (s: SessionSnapshot<S, M>) => void): () => void },
  pick: (s: SessionSnapshot<S, M>) => T = (s) => s as unknown as T,
): AsyncGenerator<T> {
  return Generators.observe<T>((change) => {
    let last: { value: T } | null = null;
    const unsubscribe = session.subscribe((s) => {
      const value = pick(s);
      if (last && last.value === value) return;
      last = { value };
      change(value);
    });
    return () => void unsubscribe();
  });
}

/**
 * The loss history of the saved run a session offers after a reload (read from its
 * checkpoint, as resuming will restore it), so the page can draw the curve before the run
 * is resumed; [] when nothing is offered or the checkpoint cannot be read.
 */
export async function offeredHistory(session: { readonly state: { offer: unknown; settings: unknown }; checkpoint(): Promise<Uint8Array | null> }): Promise<LossPoint[]> {
  if (!session.state.offer || session.state.settings !== null) return [];
  const bytes = await session.checkpoint();
  if (!bytes) return [];
  try {
    return decodeRunState(bytes).history.map(lossPoint);
  } catch (error) {
    console.warn(`the saved run's loss history could not be read: ${error instanceof Error ? error.message : error}`);
    return [];
  }
}

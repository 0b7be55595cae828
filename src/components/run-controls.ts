// Buttons that drive a run session: start, pause, resume (a paused run, or a saved one
// offered after a reload), and where the page offers them, download the checkpoint or its
// run record and discard the run. Buttons are named (button[name=start], ...) and enabled by the
// session's snapshots.
import { isBusy, type RunSnapshot } from "../lib/runs/session.js";
import { downloadCheckpoint } from "./download.js";
import { downloadRecord } from "./record-export.js";
import { el } from "./element.js";

/** What the controls need of a session (a RunSession). */
export interface ControlledSession<S> {
  readonly state: RunSnapshot<S>;
  subscribe(listener: (s: RunSnapshot<S>) => void): () => void;
  start(settings: Partial<S>): Promise<void>;
  pause(): void;
  resume(): Promise<void>;
  discard(): Promise<void>;
  checkpoint(): Promise<Uint8Array | null>;
}

export interface RunControlsOptions<S> {
  /** The settings a new run starts with (the settings form's value). */
  settings(): Partial<S>;
  /** Offer the checkpoint as a download, named by this. */
  downloadName?: (s: RunSnapshot<S>) => string;
  /** With downloadName: also offer the run record (`<checkpoint name>.json`, src/lib/records) as a download. */
  record?: boolean;
  /** Offer to discard the run (and its saved copy). */
  discard?: boolean;
}

/** Start / pause / resume (/ download / discard) buttons for `session`. */
export function RunControls<S>(session: ControlledSession<S>, options: RunControlsOptions<S>): HTMLElement {
  const root = el("div", { className: "maskau-run-controls" });
  const button = (name: string, text: string, onClick: () => void, primary = false) => {
    const b = el("button", { type: "button", name, textContent: text, className: primary ? "maskau-primary" : "" });
    b.addEventListener("click", onClick);
    root.append(b);
    return b;
  };
  const start = button("start", "Start", () => {
    const s = session.state;
    // A saved run is replaced by the new one's first save: ask first.
    if (s.storage !== null && (s.offer || s.status === "paused") && !confirm(`Replace the saved run (step ${s.step || s.offer?.step}) with a new one?`)) return;
    void session.start(options.settings());
  }, true);
  const pause = button("pause", "Pause", () => session.pause());
  const resume = button("resume", "Resume", () => void session.resume(), true);
  const { downloadName } = options;
  // The checkpoint and its record describe the same bytes: a checkpoint is encoded once per
  // name (the name carries the step) and reused, since each encoding stamps a new time.
  let encoded: { name: string; bytes: Uint8Array } | null = null;
  const checkpointBytes = async (name: string): Promise<Uint8Array | null> => {
    if (encoded?.name === name) return encoded.bytes;
    const bytes = await session.checkpoint();
    encoded = bytes ? { name, bytes } : null;
    return bytes;
  };
  const download = downloadName
    ? button("download", "Download checkpoint", async () => {
        const name = downloadName(session.state);
        const bytes = await checkpointBytes(name);
        if (bytes) downloadCheckpoint(bytes, name);
      })
    : null;
  const record =
    downloadName && options.record
      ? button("record", "Download record", async () => {
          const name = downloadName(session.state);
          const bytes = await checkpointBytes(name);
          if (bytes) await downloadRecord(bytes, name);
        })
      : null;
  const discard = options.discard
    ? button("discard", "Discard run", () => {
        if (confirm("Discard this run and its saved copy?")) void session.discard();
      })
    : null;
  session.subscribe((s) => {
    const busy = isBusy(s.status);
    const canResume = s.status === "paused" || (s.status === "idle" && s.offer !== null);
    const hasRun = s.settings !== null || s.offer !== null;
    start.disabled = busy;
    start.textContent = hasRun ? "Start new run" : "Start";
    pause.disabled = s.status !== "training";
    pause.hidden = canResume;
    resume.hidden = !canResume;
    resume.textContent = s.status === "idle" && s.offer ? (s.offer.step >= s.offer.totalSteps ? "Open saved run (finished)" : `Resume saved run at step ${s.offer.step}`) : "Resume";
    if (download) download.disabled = !hasRun || s.status === "preparing" || s.status === "pausing" || (s.step === 0 && s.offer === null);
    if (record) record.disabled = download?.disabled ?? true;
    if (discard) discard.disabled = busy || !hasRun;
  });
  return root;
}

// Work that a card waits for, as a page value: "pending" with what is being done (and how
// far, when that is known) while it runs, then its value or its error. A card draws a
// Pending placeholder until the value is ready, so no card sits blank while the page
// loads a checkpoint or runs a model (slow on a software GPU).

export type Progress<T> =
  | { state: "pending"; message: string; done: number | null; total: number | null }
  | { state: "ready"; value: T }
  | { state: "error"; error: string };

export type PendingProgress = Extract<Progress<unknown>, { state: "pending" }>;

/**
 * Says what the work is doing now, with the amount done out of a total when it is known.
 * Work that awaits the returned promise gives the page a turn to draw the report (at most
 * every tenth of a second; otherwise it resolves at once).
 */
export type Report = (message: string, done?: number, total?: number) => Promise<void>;

const pending = (message: string, done?: number, total?: number): PendingProgress => ({ state: "pending", message, done: done ?? null, total: total ?? null });

/**
 * Resolves after the browser has had a chance to paint what was just put on the page, so
 * a placeholder shows before synchronous work (a wasm forward) holds the main thread.
 * A hidden tab has no animation frames: then after a short timer.
 */
export function afterPaint(): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 50);
    requestAnimationFrame(() =>
      setTimeout(() => {
        clearTimeout(timer);
        resolve();
      }, 0),
    );
  });
}

/**
 * `work` as a page value (an async generator for Framework): first "pending" with
 * `message`, then each report of the work, then "ready" with its value or "error". The work
 * starts after the first pending state has been painted. Reports that come faster than
 * the page takes them are merged (the latest wins).
 */
export async function* progressive<T>(message: string, work: (report: Report) => Promise<T>): AsyncGenerator<Progress<T>> {
  let latest: Progress<T> = pending(message);
  let changed = false;
  let wake: (() => void) | null = null;
  const set = (p: Progress<T>) => {
    latest = p;
    changed = true;
    wake?.();
  };
  yield latest;
  await afterPaint();
  let painted = performance.now();
  const report: Report = async (m, done, total) => {
    if (latest.state === "pending") set(pending(m, done, total));
    if (performance.now() - painted < 100) return;
    await afterPaint();
    painted = performance.now();
  };
  work(report).then(
    (value) => set({ state: "ready", value }),
    (error) => {
      console.warn(`${message} failed: ${error}`);
      set({ state: "error", error: error instanceof Error ? error.message : String(error) });
    },
  );
  for (;;) {
    if (!changed) await new Promise<void>((resolve) => (wake = resolve));
    wake = null;
    changed = false;
    const p = latest;
    yield p;
    if (p.state !== "pending") return;
    // Let the page draw the report before the work continues.
    await afterPaint();
  }
}

/**
 * A placeholder for a card's pending work (class maskau-pending, data-done and
 * data-total when known): a progress bar (indeterminate without a total) and the message.
 * An error is drawn as a warning instead.
 */
export function Pending(p: PendingProgress | { state: "error"; error: string }, { className = "" }: { className?: string } = {}): HTMLElement {
  const root = document.createElement("div");
  if (p.state === "error") {
    root.className = `maskau-warning ${className}`.trim();
    root.textContent = p.error;
    return root;
  }
  root.className = `maskau-pending ${className}`.trim();
  const bar = document.createElement("progress");
  if (p.total !== null && p.total > 0) {
    bar.max = p.total;
    bar.value = Math.min(p.total, p.done ?? 0);
    root.dataset.done = String(p.done ?? 0);
    root.dataset.total = String(p.total);
  }
  const text = document.createElement("span");
  text.textContent = p.total !== null && p.total > 0 ? `${p.message} (${p.done ?? 0} / ${p.total})` : p.message;
  root.append(bar, text);
  return root;
}

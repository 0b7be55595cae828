// Where a Speed measurement stands: a status pill and a progress bar over every step of
// every workload (warm-up included), the session's message, and the live tensor count
// before the run and after it. The root (class maskau-speed-status) carries data-status,
// data-done and data-total, and data-tensors-before / -after once known.
import type { SpeedSnapshot, SpeedStatus as Status } from "../lib/bench/speed-session.js";
import { el } from "./element.js";

const STATUS_TEXT: Record<Status, string> = {
  idle: "not run",
  running: "running",
  stopping: "stopping",
  finished: "finished",
  stopped: "stopped",
  failed: "failed",
};

export function SpeedStatus(s: SpeedSnapshot, { backend }: { backend: string }): HTMLElement {
  const root = el("div", { className: `maskau-speed-status maskau-run-status maskau-run-${s.status}` });
  root.dataset.status = s.status;
  const { done = 0, total = 0 } = s.progress ?? {};
  const bar = el("progress", { max: Math.max(1, total), value: done });
  if (s.progress) {
    root.dataset.done = String(done);
    root.dataset.total = String(total);
  } else if (s.status === "finished") {
    bar.value = bar.max;
  }
  const memory =
    s.tensorsBefore === null
      ? ""
      : s.tensorsAfter === null
        ? `Live tensors before the run: ${s.tensorsBefore}.`
        : `Live tensors before the run: ${s.tensorsBefore}; after it, every workload disposed: ${s.tensorsAfter}${s.tensorsAfter === s.tensorsBefore ? " (nothing leaked)" : ""}.`;
  if (s.tensorsBefore !== null) root.dataset.tensorsBefore = String(s.tensorsBefore);
  if (s.tensorsAfter !== null) root.dataset.tensorsAfter = String(s.tensorsAfter);
  root.append(
    el("div", { className: "maskau-run-head" }, el("span", { className: "maskau-run-pill", textContent: STATUS_TEXT[s.status] }), bar),
    el("p", { className: s.status === "failed" ? "maskau-warning" : "muted", textContent: `${s.message} On ${backend}.` }),
  );
  if (memory) root.append(el("p", { className: "muted maskau-speed-memory", textContent: memory }));
  return root;
}

// A training run's status from a session snapshot: a status pill and progress bar, the
// step, last loss, throughput, time left and last save, any figures the page adds (say
// the held-out F1), and the session's message.
import { RUN_STATUS_TEXT, type RunSnapshot } from "../lib/runs/session.js";
import { formatDuration } from "../lib/train/throughput.js";
import { el } from "./element.js";

export interface RunStat {
  label: string;
  value: string;
}

function stat({ label, value }: RunStat, className = ""): HTMLElement {
  return el("div", { className: "maskau-run-stat" }, el("b", { textContent: value, className }), el("span", { textContent: label }));
}

/**
 * The root (class maskau-run-status) carries data-status, data-step, data-total-steps and,
 * once something is saved, data-saved-step. `stats` come after the loss.
 */
export function RunStatus(s: RunSnapshot<unknown>, { stats = [] }: { stats?: RunStat[] } = {}): HTMLElement {
  const root = el("div", { className: `maskau-run-status maskau-run-${s.status}` });
  root.dataset.status = s.status;
  root.dataset.step = String(s.step);
  root.dataset.totalSteps = String(s.totalSteps);
  if (s.savedStep !== null) root.dataset.savedStep = String(s.savedStep);
  const last = s.history.at(-1);
  const ips = s.imagesPerSecond;
  root.append(
    el("div", { className: "maskau-run-head" }, el("span", { className: "maskau-run-pill", textContent: RUN_STATUS_TEXT[s.status] }), el("progress", { max: Math.max(1, s.totalSteps), value: s.step })),
    el(
      "div",
      { className: "maskau-run-stats" },
      stat({ label: "step", value: s.totalSteps ? `${s.step} / ${s.totalSteps}` : "–" }, "maskau-run-step"),
      stat({ label: "loss", value: last ? last.loss.toFixed(4) : "–" }),
      ...stats.map((x) => stat(x)),
      stat({ label: "images / s", value: ips === null ? "–" : ips.toFixed(ips < 10 ? 1 : 0) }),
      stat({ label: "time left", value: s.status === "training" ? formatDuration(s.etaSeconds) : "–" }),
      ...(s.storage === null ? [] : [stat({ label: `saved (${s.storage})`, value: s.savedStep === null ? "–" : `step ${s.savedStep}` })]),
    ),
    el("p", { className: s.error ? "maskau-warning" : "muted", textContent: s.message }),
  );
  // Storage full or a damaged saved run: said until the next save succeeds.
  if (s.storageProblem) root.append(el("p", { className: "maskau-warning maskau-storage-problem", textContent: s.storageProblem }));
  return root;
}

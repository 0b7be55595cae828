// The Speed page's controls: which workloads and how many steps (kept in the URL), and Run /
// Stop buttons (button[name=run], button[name=stop]) driving a SpeedSession. The settings
// are locked while a run works.
import * as Inputs from "@observablehq/inputs";
import { isSpeedBusy, type SpeedSession } from "../lib/bench/speed-session.js";
import { SPEED_WORKLOADS, speedQuery, WORKLOAD_GFLOP, type SpeedSettings } from "../lib/bench/speed-settings.js";
import { el } from "./element.js";
import { writeQuery } from "./url-state.js";

export type SpeedForm = HTMLElement & { value: SpeedSettings };

const gflop = (w: string) => (WORKLOAD_GFLOP[w] < 1 ? WORKLOAD_GFLOP[w].toFixed(2) : WORKLOAD_GFLOP[w].toFixed(1));

/** Workloads (lightest first, with the GFLOP of a step), warm-up and timed steps, starting at `initial`; kept in the URL. */
export function SpeedSettingsForm(initial: SpeedSettings): SpeedForm {
  const form = Inputs.form({
    workloads: Inputs.checkbox(SPEED_WORKLOADS, { label: "Workloads", value: initial.workloads, format: (w: string) => `${w} (${gflop(w)} GFLOP)` }),
    warmup: Inputs.number([1, 20], { label: "Warm-up steps", step: 1, value: initial.warmup }),
    iters: Inputs.number([1, 200], { label: "Timed steps", step: 1, value: initial.iters }),
  }) as SpeedForm;
  form.classList.add("maskau-speed-form");
  const write = () => writeQuery(speedQuery(form.value));
  form.addEventListener("input", write);
  write();
  return form;
}

/** Run and Stop buttons for `session`, starting it with the form's settings; they and the form follow the session's state. */
export function SpeedControls(session: SpeedSession, form: SpeedForm): HTMLElement {
  const run = el("button", { type: "button", name: "run", textContent: "Run", className: "maskau-primary" });
  const stop = el("button", { type: "button", name: "stop", textContent: "Stop" });
  run.addEventListener("click", () => void session.start(form.value));
  stop.addEventListener("click", () => session.stop());
  session.subscribe((s) => {
    const busy = isSpeedBusy(s.status);
    run.disabled = busy;
    run.textContent = s.status === "idle" ? "Run" : "Run again";
    stop.disabled = s.status !== "running";
    for (const input of form.querySelectorAll<HTMLInputElement>("input")) input.disabled = busy;
  });
  return el("div", { className: "maskau-run-controls" }, run, stop);
}

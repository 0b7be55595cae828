// The Speed page's settings: which workloads (lightest first), warm-up and timed steps per
// workload, kept in the URL (?workloads=gcn,detector_train&warmup=1&iters=5) so that a link
// runs the same measurement. Defaults are `maskau bench`'s: every workload, 3 + 10 steps.
import { settingsSchema } from "../settings-schema.js";
import { detectorTrainFlops, gcnFlops, maeInferFlops, maeTrainFlops, studentKdFlops, WORKLOADS } from "./workloads.js";

/** GFLOP of one step of each workload, known without building it. */
export const WORKLOAD_GFLOP: Record<string, number> = {
  gcn: gcnFlops() / 1e9,
  detector_train: detectorTrainFlops() / 1e9,
  mae_infer: maeInferFlops() / 1e9,
  mae_train: maeTrainFlops() / 1e9,
  student_kd_step: studentKdFlops() / 1e9,
};

/** Every workload, lightest first: a run shows its quick figures before the long ones. */
export const SPEED_WORKLOADS: readonly string[] = Object.keys(WORKLOADS).sort((a, b) => WORKLOAD_GFLOP[a] - WORKLOAD_GFLOP[b]);

/** Steps per workload. At least one warm-up step: the first step builds kernels and the optimizer's state. */
export const SPEED_STEPS = settingsSchema(
  { warmup: 3, iters: 10 },
  { warmup: { range: [1, 20], integer: true }, iters: { range: [1, 200], integer: true } },
);

export interface SpeedSettings {
  workloads: string[];
  warmup: number;
  iters: number;
}

/** Known workload names of a list, in SPEED_WORKLOADS' order (unknown ones are dropped). */
export function orderWorkloads(names: readonly string[]): string[] {
  return SPEED_WORKLOADS.filter((w) => names.includes(w));
}

/** Settings from a query string; no (or no known) workload means all of them. */
export function readSpeedSettings(search: string): SpeedSettings {
  const listed = new URLSearchParams(search).get("workloads");
  const workloads = listed === null ? [] : orderWorkloads(listed.split(","));
  return { workloads: workloads.length ? workloads : [...SPEED_WORKLOADS], ...SPEED_STEPS.read(search) };
}

/** Query parameters of settings (defaults left out). */
export function speedQuery(s: SpeedSettings): Record<string, string | null> {
  const workloads = orderWorkloads(s.workloads);
  const all = workloads.length === SPEED_WORKLOADS.length;
  return { workloads: all || workloads.length === 0 ? null : workloads.join(","), ...SPEED_STEPS.query(SPEED_STEPS.normalize(s)) };
}

// Throughput of a run from wall-clock step times, and the time left, as the pages'
// run status shows them.

/** One wall-clock observation of the step counter. */
export interface StepTime {
  step: number;
  /** Milliseconds (performance.now()). */
  time: number;
}

export interface Throughput {
  imagesPerSecond: number | null;
  stepsPerSecond: number | null;
  /** Seconds to the end of the run at the current rate (null until measurable). */
  etaSeconds: number | null;
}

/** Throughput over the last `window` observations and the time left for `totalSteps`. */
export function throughput(times: readonly StepTime[], batch: number, totalSteps: number, window = 20): Throughput {
  const recent = times.slice(-window - 1);
  if (recent.length < 2) return { imagesPerSecond: null, stepsPerSecond: null, etaSeconds: null };
  const first = recent[0];
  const last = recent[recent.length - 1];
  const steps = last.step - first.step;
  const seconds = (last.time - first.time) / 1000;
  if (!(steps > 0 && seconds > 0)) return { imagesPerSecond: null, stepsPerSecond: null, etaSeconds: null };
  const stepsPerSecond = steps / seconds;
  return {
    imagesPerSecond: stepsPerSecond * batch,
    stepsPerSecond,
    etaSeconds: Math.max(0, totalSteps - last.step) / stepsPerSecond,
  };
}

/** "1 h 02 min", "3 min 05 s", "12 s". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "–";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

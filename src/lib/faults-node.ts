// Fault injection for the crash tests (tests/cli/crash.test.ts), Node only. The
// environment variable MASKAU_FAULT is read once, when this module loads; unset (as
// always outside those tests) nothing changes and no per-step code consults it.
//
//   MASKAU_FAULT=kill-during-write:N  the N-th atomic file write of the process
//       (writeFileAtomic, which writes every checkpoint) writes half of its
//       temporary file, prints "maskau fault: hanging ..." on stderr and hangs, so a
//       test can SIGKILL the process exactly while a checkpoint is being written.
//   MASKAU_FAULT=nan-loss:S  the loss of training step S (1-based) is NaN, as a
//       diverging run's would be; the Trainer's non-finite stop takes it from there.
import * as tf from "@tensorflow/tfjs-core";
import type { TrainTask } from "./train/trainer.js";

export type Fault = { kind: "kill-during-write"; write: number } | { kind: "nan-loss"; step: number };

/** A MASKAU_FAULT value; throws on anything else, so a mistyped fault never passes silently. */
export function parseFault(text: string | undefined): Fault | null {
  if (!text) return null;
  const m = /^(kill-during-write|nan-loss):([1-9]\d*)$/.exec(text.trim());
  if (!m) throw new Error(`MASKAU_FAULT="${text}": expected kill-during-write:N or nan-loss:STEP (N, STEP >= 1)`);
  const n = Number(m[2]);
  return m[1] === "kill-during-write" ? { kind: "kill-during-write", write: n } : { kind: "nan-loss", step: n };
}

/** The fault of this process (MASKAU_FAULT, read once). */
export const FAULT: Fault | null = parseFault(process.env.MASKAU_FAULT);

/** Never settles, and keeps the process alive until it is killed. */
export function hang(): Promise<never> {
  setInterval(() => undefined, 1 << 30);
  return new Promise<never>(() => undefined);
}

/** nan-loss:S: makes the task's loss NaN at step S (the gradient still reaches every variable). */
export function injectLossFault(task: TrainTask, fault: Fault | null = FAULT): void {
  if (fault?.kind !== "nan-loss") return;
  const at = fault.step - 1; // the Trainer passes the number of updates done so far
  const loss = task.loss.bind(task);
  task.loss = (step) => {
    const out = loss(step);
    return step === at ? { ...out, loss: tf.mul(out.loss, NaN) as tf.Scalar } : out;
  };
}

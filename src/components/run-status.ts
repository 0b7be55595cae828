// What the in-browser training sessions (MAE pretraining, detector) share: their
// status names and how they give the page a turn between steps.

export type RunStatus = "idle" | "preparing" | "training" | "pausing" | "paused" | "completed" | "error";

export const RUN_STATUS_TEXT: Record<RunStatus, string> = {
  idle: "no run",
  preparing: "preparing",
  training: "training",
  pausing: "pausing",
  paused: "paused",
  completed: "finished",
  error: "stopped",
};

/** Yields to the event loop. A message, not a timer: timers are throttled to 1/s in background tabs. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

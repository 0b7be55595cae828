// Feature maps off the main thread: projectInWorker sends the features to a module Worker
// (projection-worker.ts, served by the site: the CSP's worker-src 'self' allows it) and
// resolves with the same Float32Array [n, 2] that lib/project's project() returns in Node.
// Where a Worker cannot start, it falls back to projectAsync on the main thread, which
// yields between slices of iterations so the page keeps responding.
import { projectAsync, type ProjectionOptions } from "../lib/project/embed.js";
import type { ProjectionRequest, ProjectionResponse } from "../lib/project/worker-protocol.js";

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, { resolve: (map: Float32Array) => void; reject: (e: Error) => void; onProgress?: (done: number, total: number) => void }>();

function startWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(import.meta.resolve("./projection-worker.js"), { type: "module", name: "maskau-projection" });
  w.onmessage = (event: MessageEvent<ProjectionResponse>) => {
    const msg = event.data;
    const job = pending.get(msg.id);
    if (!job) return;
    if (msg.type === "progress") job.onProgress?.(msg.done, msg.total);
    else {
      pending.delete(msg.id);
      if (msg.type === "done") job.resolve(msg.embedding);
      else job.reject(new Error(msg.message));
    }
  };
  w.onerror = (event) => {
    const error = new Error(`the projection worker failed: ${event.message || "it could not start"}`);
    for (const job of pending.values()) job.reject(error);
    pending.clear();
    w.terminate();
    worker = null;
  };
  return (worker = w);
}

export interface WorkerProjectionOptions extends ProjectionOptions {
  /** Run on the main thread (projectAsync) instead of the worker. */
  mainThread?: boolean;
}

/**
 * The seeded 2-D map of `features` [n, d]: Float32Array [n, 2], computed in the projection
 * worker (the features are copied to it; the caller's array is left as it is).
 */
export function projectInWorker(features: Float32Array, n: number, d: number, options: WorkerProjectionOptions): Promise<Float32Array> {
  const { onProgress, mainThread, ...rest } = options;
  if (mainThread || typeof Worker === "undefined") return projectAsync(features, n, d, options);
  let w: Worker;
  try {
    w = startWorker();
  } catch {
    return projectAsync(features, n, d, options);
  }
  const id = nextId++;
  const copy = features.slice();
  const request: ProjectionRequest = { id, features: copy, n, d, options: rest };
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, onProgress });
    w.postMessage(request, [copy.buffer]);
  });
}

/** Stops the worker (pending projections reject); the next projectInWorker starts a new one. */
export function stopProjectionWorker(): void {
  if (!worker) return;
  worker.terminate();
  worker = null;
  for (const job of pending.values()) job.reject(new Error("the projection worker was stopped"));
  pending.clear();
}

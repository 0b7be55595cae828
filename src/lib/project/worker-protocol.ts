// The messages between a page and the projection worker (components/projection-worker.ts),
// and the worker's whole job as a plain function, so that Node tests run exactly what the
// worker runs. The features travel as a transferred ArrayBuffer, and so does the map. No DOM.
import { project, type ProjectionOptions } from "./embed.js";

export interface ProjectionRequest {
  id: number;
  /** [n, d] row-major. */
  features: Float32Array;
  n: number;
  d: number;
  options: Omit<ProjectionOptions, "onProgress">;
}

export type ProjectionResponse =
  | { id: number; type: "progress"; done: number; total: number }
  | { id: number; type: "done"; embedding: Float32Array }
  | { id: number; type: "error"; message: string };

/** Progress messages at most this often (ms), plus the first and the last. */
export const PROGRESS_INTERVAL_MS = 100;

/** Runs one request, posting progress and then the map (or the error). */
export function runProjectionRequest(req: ProjectionRequest, post: (msg: ProjectionResponse, transfer?: ArrayBuffer[]) => void): void {
  let last = -Infinity;
  try {
    const embedding = project(req.features, req.n, req.d, {
      ...req.options,
      onProgress: (done, total) => {
        const now = performance.now();
        if (done === 0 || done === total || now - last >= PROGRESS_INTERVAL_MS) {
          last = now;
          post({ id: req.id, type: "progress", done, total });
        }
      },
    });
    post({ id: req.id, type: "done", embedding }, [embedding.buffer as ArrayBuffer]);
  } catch (e) {
    post({ id: req.id, type: "error", message: e instanceof Error ? e.message : String(e) });
  }
}

// The projection worker: a module Worker that components/projection.ts starts. It runs
// lib/project's seeded t-SNE / UMAP off the page's main thread (one request at a time, in
// order), and is served by the site itself like every other module.
import { runProjectionRequest, type ProjectionRequest, type ProjectionResponse } from "../lib/project/worker-protocol.js";

const scope = globalThis as unknown as {
  onmessage: ((event: { data: ProjectionRequest }) => void) | null;
  postMessage(message: ProjectionResponse, transfer?: Transferable[]): void;
};

scope.onmessage = (event) => runProjectionRequest(event.data, (msg, transfer) => scope.postMessage(msg, transfer ?? []));

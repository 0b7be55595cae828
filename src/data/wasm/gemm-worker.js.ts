// The matrix-product kernel's Web Worker (src/lib/tf/wasm-threads-browser.ts): waits for
// its memory, kernel binary and control block, says it is ready, then serves its slot.
import { GEMM_WORKER_LOOP } from "../../lib/tf/wasm/gemm-pool.js";

process.stdout.write(`"use strict";
${GEMM_WORKER_LOOP}
self.onmessage = (event) => {
  self.onmessage = null;
  serveGemm(event.data, () => self.postMessage("ready"));
};
`);

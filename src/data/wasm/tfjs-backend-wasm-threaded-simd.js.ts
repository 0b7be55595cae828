import { emitWasmFile } from "../wasm-binary.js";

// The threaded build's Emscripten glue, run by the page and by each of its workers.
emitWasmFile("wasm-out/tfjs-backend-wasm-threaded-simd.js");

import { emitWasmWorker } from "../wasm-binary.js";

emitWasmWorker();

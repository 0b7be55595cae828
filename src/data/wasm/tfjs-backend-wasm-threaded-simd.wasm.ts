import { emitWasmBinary } from "../wasm-binary.js";

emitWasmBinary("tfjs-backend-wasm-threaded-simd.wasm");

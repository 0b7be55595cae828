import { emitWasmBinary } from "../wasm-binary.js";

emitWasmBinary("tfjs-backend-wasm-simd.wasm");

// The max-pool gradient for the wasm backend (./pool.wat), bound to the backend's heap: the
// first maximum of each window found 4 channels at a time with SIMD compares, where the
// scalar loop (../kernels/wasm-max-pool.ts) takes one channel at a time.
import * as binaries from "./pool.wasm.js";
import { heapMemory, instantiateOn, perHeap } from "./instance.js";

export interface PoolExports {
  /** dx += the max-pool gradient (NHWC, channels a multiple of 4, dilation 1); pointers are heap byte offsets. */
  maxPoolGrad(
    x: number, dy: number, dx: number, batch: number, height: number, width: number, channels: number, outHeight: number, outWidth: number,
    filterHeight: number, filterWidth: number, strideHeight: number, strideWidth: number, padTop: number, padLeft: number,
  ): void;
}

export const poolFor = perHeap((heap) => instantiateOn<PoolExports>(binaries, heapMemory(heap)));

// Patch matrices of 2-D convolutions (./patches.wat), bound to the wasm backend's heap:
// P^T written straight into the matrix-product kernel's packed layout of A (./gemm.ts,
// runPackedA), so the filter gradient P^T·dy builds no P and packs nothing of it.
import * as binaries from "./patches.wasm.js";
import { heapMemory, instantiateOn, perHeap } from "./instance.js";

export interface PatchExports {
  /**
   * P^T of `images` images at byte offset x (NHWC [images, H, W, C]) as 4-row blocks at dst
   * (ceil(KH·KW·C / 4) blocks of images·OH·OW·16 bytes); padding reads as 0.
   */
  patchesT(
    x: number, images: number, height: number, width: number, channels: number, outHeight: number, outWidth: number,
    filterHeight: number, filterWidth: number, strideHeight: number, strideWidth: number, padTop: number, padLeft: number, dst: number,
  ): void;
}

export const patchesFor = perHeap((heap) => instantiateOn<PatchExports>(binaries, heapMemory(heap)));

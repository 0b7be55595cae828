// Instantiating MaskAU's own WebAssembly kernels (*.wat, assembled into *.wasm.ts by
// scripts/build-wasm.mjs) on the memory of tfjs-backend-wasm's module, so that they read
// and write tensors where tfjs keeps them.

/** The parts of tfjs-backend-wasm's Emscripten module the kernels use. */
export interface EmscriptenHeap {
  /** The threaded build's (shared) memory. */
  wasmMemory?: WebAssembly.Memory;
  /** The single-threaded build's exports, memory among them. */
  asm?: { memory?: WebAssembly.Memory };
  _malloc(bytes: number): number;
  _free(pointer: number): void;
}

/**
 * A kernel's builds (base64): for an ordinary memory and for a shared one, and for a kernel
 * written with relaxed SIMD's fused multiply-add, the same two with it (`relaxed*`).
 */
export interface KernelBinaries {
  plain: string;
  shared: string;
  relaxedPlain?: string;
  relaxedShared?: string;
}

let fusedMultiplyAdd = true;

/**
 * Whether kernels built with relaxed SIMD use it (default: where the engine has it). A
 * fused multiply-add rounds once where mul then add rounds twice, so the two builds give
 * results that differ in the last bits; each is deterministic, on any thread count. Set
 * before the first kernel is instantiated (Node: MASKAU_WASM_FMA=0; lib/tf/node.ts).
 */
export function setFusedMultiplyAdd(on: boolean): void {
  fusedMultiplyAdd = on;
}

const validated = new Map<string, boolean>();

/** Whether this engine runs a relaxed-SIMD build (Chromium 114+; Node 20 with the flag lib/tf/node.ts sets). */
function engineValidates(base64: string): boolean {
  let ok = validated.get(base64);
  if (ok === undefined) {
    ok = WebAssembly.validate(decode(base64));
    validated.set(base64, ok);
  }
  return ok;
}

/** Whether a kernel's relaxed-SIMD build is the one used here. */
export function usesFusedMultiplyAdd(binaries: KernelBinaries): boolean {
  const relaxed = binaries.relaxedPlain;
  return fusedMultiplyAdd && relaxed !== undefined && engineValidates(relaxed);
}

function decode(base64: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
}

/** The memory tfjs-backend-wasm's module runs on. */
export function heapMemory(heap: EmscriptenHeap): WebAssembly.Memory {
  const memory = heap.wasmMemory ?? heap.asm?.memory;
  if (!memory) throw new Error("cannot find the wasm backend's memory (has tfjs-backend-wasm's module changed?)");
  return memory;
}

/** Whether a memory is shared (the threaded build's). */
export function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
}

/**
 * The binary for a memory: the shared-memory build for a shared memory; the relaxed-SIMD
 * build where there is one and it is used (usesFusedMultiplyAdd). Worker pools get the
 * calling thread's binary, so every thread computes with the same instructions.
 */
export function kernelBinary(binaries: KernelBinaries, shared: boolean): Uint8Array<ArrayBuffer> {
  if (usesFusedMultiplyAdd(binaries)) return decode(shared ? binaries.relaxedShared! : binaries.relaxedPlain!);
  return decode(shared ? binaries.shared : binaries.plain);
}

/** Instantiates a kernel module on a memory (synchronously: the modules are a few KB). */
export function instantiateOn<T>(binaries: KernelBinaries, memory: WebAssembly.Memory): T {
  const module = new WebAssembly.Module(kernelBinary(binaries, isShared(memory)));
  return new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as T;
}

/** One instance per wasm backend module, made on first use. */
export function perHeap<T>(make: (heap: EmscriptenHeap) => T): (heap: EmscriptenHeap) => T {
  const instances = new WeakMap<object, T>();
  return (heap) => {
    let value = instances.get(heap);
    if (value === undefined) {
      value = make(heap);
      instances.set(heap, value);
    }
    return value;
  };
}

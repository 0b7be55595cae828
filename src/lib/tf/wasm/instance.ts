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

/** A kernel's two builds (base64): for an ordinary memory and for a shared one. */
export interface KernelBinaries {
  plain: string;
  shared: string;
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

/** The binary for a memory: the shared-memory build for a shared memory. */
export function kernelBinary(binaries: KernelBinaries, shared: boolean): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(shared ? binaries.shared : binaries.plain), (ch) => ch.charCodeAt(0));
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

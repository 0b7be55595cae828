// The C functions of tfjs-backend-wasm that BackendWasm calls through `module.tfjs`, bound
// the way tfjs binds them when it builds its own module. MaskAU builds the threaded module
// itself (Node: wasm-threads.ts; browser: wasm-threads-browser.ts), so it binds them here.

export interface CwrapModule {
  cwrap: (name: string, ret: string | null, args: string[]) => (...args: unknown[]) => unknown;
}

export function tfjsBindings(module: CwrapModule): Record<string, unknown> {
  return {
    init: module.cwrap("init", null, []),
    initWithThreadsCount: module.cwrap("init_with_threads_count", null, ["number"]),
    getThreadsCount: module.cwrap("get_threads_count", "number", []),
    registerTensor: module.cwrap("register_tensor", null, ["number", "number", "number"]),
    disposeData: module.cwrap("dispose_data", null, ["number"]),
    dispose: module.cwrap("dispose", null, []),
  };
}

// Types of ./build-wasm.mjs for the TypeScript tests.
export declare const WASM_DIR: string;
export declare function assemble(source: string, name: string, shared: boolean): Promise<Buffer>;
export declare function generatedModule(watFile: string): Promise<string>;

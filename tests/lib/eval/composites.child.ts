// Run by composites.test.ts in a child process with MASKAU_WASM_THREADS set: prints the
// thread count and probeComposites' hashes as JSON.
import { initNodeBackend } from "../../../src/lib/tf/node.js";
import { runningWasmThreads } from "../../../src/lib/tf/wasm-threads.js";
import { probeComposites } from "./composites-probe.js";

await initNodeBackend("wasm");
const report = await probeComposites();
process.stdout.write(JSON.stringify({ threads: runningWasmThreads(), ...report }) + "\n");

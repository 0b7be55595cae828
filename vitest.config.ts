import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

// Two projects: `unit` (Node: lib, CLI, backend parity on cpu/wasm/webgpu via Dawn)
// and `browser` (a real Chromium driven by playwright-core against the built site).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["tests/**/*.test.ts"],
          exclude: ["tests/browser/**"],
          environment: "node",
          // A worker per core, and at least two. vitest's default leaves one core free, which on
          // a 2-core machine means one file at a time while many tests wait on a child process
          // (the CLI tests) and leave the second core idle.
          maxWorkers: Math.max(2, availableParallelism()),
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // One wasm thread per test process: vitest already runs test files in parallel, and
          // spinning thread pools on oversubscribed cores slow everything down.
          // tests/lib/tf/wasm-threads.test.ts checks the threaded build in a child process.
          env: { MASKAU_WEBGPU: "swiftshader", MASKAU_WASM_THREADS: "1" },
        },
      },
      {
        test: {
          name: "browser",
          include: ["tests/browser/**/*.test.ts"],
          environment: "node",
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});

// Where the shared reference material lives: `../shared` beside the repository
// (as on the developers' machines and in CI), or MASKAU_SHARED if set.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export const SHARED_DIR = process.env.MASKAU_SHARED ?? resolve(repoRoot, "../shared");

/** Path of a reference fixture file, e.g. fixturePath("mae_tiny.safetensors"). Throws if absent. */
export function fixturePath(file: string): string {
  const path = join(SHARED_DIR, "fixtures", "reference", file);
  if (!existsSync(path)) {
    throw new Error(`reference fixture not found: ${path} (set MASKAU_SHARED to the folder holding fixtures/reference)`);
  }
  return path;
}

// The Node side of run records: the checkpoint's SHA-256 and size, the git commit, the
// installed package versions and the platform, and records written atomically as JSON.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../io/atomic-node.js";
import { decodeCheckpoint } from "../io/checkpoint.js";
import { safetensorsRawTensors } from "../io/safetensors.js";
import { checkRecord, parseRecord } from "./check.js";
import { recordFromCheckpoint, type RecordInputs, type RunEnvironment, type RunRecord } from "./record.js";

const require = createRequire(import.meta.url);

/** The packages whose versions a record lists: tfjs and the main dependencies. */
export const RECORD_PACKAGES = [
  "@tensorflow/tfjs-core",
  "@tensorflow/tfjs-backend-wasm",
  "@tensorflow/tfjs-backend-webgpu",
  "@tensorflow/tfjs-backend-webgl",
  "@observablehq/framework",
  "@observablehq/plot",
  "@saehrimnir/druidjs",
  "arquero",
  "webgpu",
];

/** Installed version of a package, found by walking up from its entry point (some packages do not export package.json). */
export function installedVersion(name: string): string {
  let dir: string | undefined;
  try {
    dir = dirname(require.resolve(`${name}/package.json`));
  } catch {
    // a package whose exports hide package.json: start from its entry point
  }
  try {
    dir ??= dirname(require.resolve(name));
  } catch {
    return "not installed";
  }
  for (; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
    if (pkg.name === name && pkg.version) return pkg.version;
  }
  return "unknown";
}

/** Hex SHA-256 of bytes (what `sha256sum` prints). */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Hex SHA-256 of a safetensors file's tensors alone: each tensor's name, dtype and shape
 * (one JSON line) and its bytes, in name order. Two runs that reached the same weights
 * share it whatever their metadata says (when they ran, the command's paths), which the
 * file's own SHA-256 does not.
 */
export function tensorsSha256(bytes: Uint8Array, source?: string): string {
  const hash = createHash("sha256");
  const tensors = safetensorsRawTensors(bytes, source).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const t of tensors) hash.update(JSON.stringify([t.name, t.dtype, t.shape]) + "\n").update(t.bytes);
  return hash.digest("hex");
}

/** Hex SHA-256 of a file's bytes. */
export function sha256File(path: string): string {
  return sha256Hex(readFileSync(path));
}

/** HEAD of the git repository at `cwd` and whether tracked files differ from it; nulls outside a repository. */
export function gitState(cwd = process.cwd()): { commit: string | null; dirty: boolean | null } {
  try {
    const commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const status = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return { commit, dirty: status.trim().length > 0 };
  } catch {
    return { commit: null, dirty: null };
  }
}

/** This process's environment: versions, commit, the backend label, Node and the platform. */
export function nodeEnvironment(scope: RunEnvironment["scope"], backend: string | null): RunEnvironment {
  return {
    scope,
    packages: Object.fromEntries(RECORD_PACKAGES.map((p) => [p, installedVersion(p)])),
    ...gitState(),
    backend,
    node: process.versions.node,
    platform: `${process.platform} ${process.arch}`,
  };
}

/** The record of a checkpoint file: its metadata, SHA-256, size and this process's environment. */
export function recordOfCheckpointFile(path: string, options: Omit<RecordInputs, "checkpoint"> & { bytes?: Uint8Array }): RunRecord {
  const bytes = options.bytes ?? new Uint8Array(readFileSync(path));
  const { meta } = decodeCheckpoint(bytes, path);
  if (!meta) throw new Error(`${path} has no MaskAU metadata: a record needs the model, config and command a MaskAU checkpoint carries`);
  return recordFromCheckpoint(meta, { ...options, checkpoint: { path, sha256: sha256Hex(bytes), tensorsSha256: tensorsSha256(bytes, path), bytes: bytes.length } });
}

/** Record JSON as committed: floats rounded to 7 significant digits, two-space indent (0: none, as the protocol's ledger keeps them). */
export function recordJson(record: RunRecord, indent = 2): string {
  return JSON.stringify(record, (_k, v) => (typeof v === "number" && !Number.isInteger(v) ? Number(v.toPrecision(7)) : v), indent || undefined) + "\n";
}

/** Checks a record and writes it atomically. */
export async function writeRecordFile(path: string, record: RunRecord): Promise<void> {
  checkRecord(record, path);
  await writeFileAtomic(path, new TextEncoder().encode(recordJson(record)));
}

/** `<out>.record.json` beside a checkpoint `<out>.safetensors` (or `<out>` of any name). */
export function recordPathFor(checkpoint: string): string {
  return checkpoint.replace(/\.safetensors$/i, "") + ".record.json";
}

/**
 * The record a finished training run leaves beside its final checkpoint
 * (`<out>.record.json`): the cheap parts only (metadata, hash, environment; no sweep or
 * feature map, which `maskau record --sweep --features` adds). Returns its path.
 */
export async function writeTrainingRecord(checkpoint: string, backend: string | null): Promise<string> {
  const path = recordPathFor(checkpoint);
  await writeRecordFile(path, recordOfCheckpointFile(checkpoint, { environment: nodeEnvironment("training", backend) }));
  return path;
}

/** The folder of committed records that the site builds report pages from (one page per file). */
export const RECORDS_DIR = "src/data/records";

/** Every record in `dir` (`<id>.json`), checked, sorted by id; a bad file fails with its name and problems. */
export function readRecordsDir(dir = RECORDS_DIR): RunRecord[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => {
      const path = join(dir, f);
      const record = parseRecord(readFileSync(path, "utf8"), path);
      if (`${record.id}.json` !== f) throw new Error(`${path}: its id is "${record.id}"; name the file ${record.id}.json (the report page is /runs/<id>)`);
      return record;
    });
}

// The protocol's ledger: the small files that are committed so the results can be rebuilt
// and checked without a single checkpoint. Per fold and seed the evaluation (per-subject
// confusion counts, SHA-256 of every checkpoint scored), per run its record (config, seed,
// checkpoint SHA-256, package versions, commit, backend, metrics, loss history) and one
// runs.json with each run's command, status and wall time. A protocol completed piece by
// piece adds to the ledger; the results are aggregated from everything in it.
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { withFileLock, writeFileAtomic } from "../io/atomic-node.js";
import { parseRecord } from "../records/check.js";
import { recordJson } from "../records/node.js";
import { shortHash, type RunRecord } from "../records/record.js";
import { aggregateProtocol, type ProtocolEvalFile } from "./aggregate.js";
import { aggregateCurves } from "./curves.js";
import type { ProtocolRole } from "./plan.js";

/** Where `maskau reproduce paper` keeps the ledger of a dataset unless told otherwise. */
export const LEDGER_ROOT = "results/paper";

/** One run of the protocol as the ledger logs it. */
export interface LedgerRun {
  id: string;
  role: ProtocolRole;
  command: string;
  /** How the checkpoint came to be: trained (or resumed) here, or copied from the shipped ones. */
  status: "trained" | "resumed" | "reused" | "shipped" | "copied";
  /** Wall time of the invocation that trained it (a reused run keeps the time it was trained in). */
  seconds: number;
  sha256: string;
  backend: string;
}

/** The ledger's run log after an invocation: a run reused or copied again with the same checkpoint keeps its entry (and training time); anything else is replaced. Sorted by id. */
export function mergeRunLogs(old: LedgerRun[], fresh: LedgerRun[]): LedgerRun[] {
  const byId = new Map(old.map((r) => [r.id, r]));
  for (const r of fresh) {
    const before = byId.get(r.id);
    if ((r.status === "reused" || r.status === "shipped") && before?.sha256 === r.sha256) continue;
    byId.set(r.id, r);
  }
  return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id, "en", { numeric: true }));
}

const write = (path: string, text: string) => {
  mkdirSync(dirname(path), { recursive: true });
  return writeFileAtomic(path, new TextEncoder().encode(text));
};

/**
 * Adds an invocation to the ledger in `ledger`: its evaluations, the record of every run
 * (read from `<outDir>/<id>.record.json`, checked) and its run log merged into runs.json.
 * Invocations side by side take turns (runs.json.lock), so neither loses the other's runs.
 */
export async function writeLedger(ledger: string, outDir: string, runs: LedgerRun[], evals: ProtocolEvalFile[]): Promise<string[]> {
  mkdirSync(ledger, { recursive: true });
  return withFileLock(join(ledger, "runs.json.lock"), () => addToLedger(ledger, outDir, runs, evals));
}

/**
 * What a run trained again (its checkpoint file is new) reached against the ledger's record
 * of it: the same weights (tensors' SHA-256), or, where the older record has no weights
 * hash, the same loss history and test metrics. Each checkpoint file differs anyway (its
 * metadata says when it was written), so this is what says a rerun reproduced the run.
 * `reused`: this invocation found the checkpoint on disk (an earlier one trained it again).
 */
export function retrainedNote(id: string, before: RunRecord, now: RunRecord, reused = false): string {
  const what = reused ? `${id}: its checkpoint here, trained again by an earlier invocation, has` : `${id}: trained again to`;
  const [was, is] = [before.checkpoint.tensorsSha256, now.checkpoint.tensorsSha256];
  if (was && is) return was === is ? `${what} the same weights as the ledger's (weights sha256 ${shortHash(is)}); the ledger keeps its record` : `${what} other weights than the ledger's (weights sha256 ${shortHash(is)}, was ${shortHash(was)}): the build or the inputs differ`;
  const same = JSON.stringify([before.history, before.metrics]) === JSON.stringify([now.history, now.metrics]);
  return same
    ? `${what} the same loss history and test metrics as the ledger's (its record has no weights hash to compare)`
    : `${what} another loss history or other test metrics than the ledger's: the build or the inputs differ`;
}

/**
 * Adds to the ledger; returns a note per run trained again (retrainedNote). A run trained
 * again to the ledger's weights (the same tensors in a file with another date) keeps the
 * ledger's record and run entry, and the evaluations name it by the ledger's SHA-256: it is
 * the same model, and an evaluation of another seed that scored it (a fold's MAE) stays valid.
 */
async function addToLedger(ledger: string, outDir: string, runs: LedgerRun[], evals: ProtocolEvalFile[]): Promise<string[]> {
  const notes: string[] = [];
  const ledgerSha = new Map<string, { fresh: string; kept: string }>();
  // The SHA-256 by which the ledger names a run's checkpoint file: its own where the weights are the same.
  const named = (id: string, sha: string) => (ledgerSha.get(id)?.fresh === sha ? ledgerSha.get(id)!.kept : sha);
  for (const run of runs) {
    const from = join(outDir, `${run.id}.record.json`);
    const record = parseRecord(readFileSync(from, "utf8"), from);
    if (record.checkpoint.sha256 !== run.sha256) throw new Error(`${from}: its checkpoint SHA-256 is not that of ${run.id}.safetensors; delete the record and rerun to write it again`);
    // The ledger keeps the first record of a checkpoint (a shipped file copied in on another machine gets a record with a new date, not a new run).
    const to = join(ledger, "records", `${run.id}.record.json`);
    const before = existsSync(to) ? parseRecord(readFileSync(to, "utf8"), to) : undefined;
    if (before?.checkpoint.sha256 === run.sha256) continue;
    // Rounded as the ledger keeps it, so the comparison sees what is written.
    const now = parseRecord(recordJson(record, 0), from);
    if (before) notes.push(retrainedNote(run.id, before, now, run.status === "reused"));
    if (before && sameWeights(before, now)) {
      ledgerSha.set(run.id, { fresh: run.sha256, kept: before.checkpoint.sha256 });
      continue;
    }
    await write(to, recordJson(record, 0));
  }
  for (const file of evals) {
    const { reused: _, ...clean } = file as ProtocolEvalFile & { reused?: boolean };
    const checkpoints = Object.fromEntries(Object.entries(clean.checkpoints).map(([id, sha]) => [id, named(id, sha)]));
    await write(join(ledger, "evals", `fold${file.fold}-seed${file.seed}.json`), JSON.stringify({ ...clean, checkpoints }) + "\n");
  }
  const old = readLedgerRuns(ledger);
  const logged = new Set(old.map((r) => r.id));
  // A run kept at the ledger's weights keeps its logged entry (and training time).
  const fresh = runs.filter((r) => !(ledgerSha.has(r.id) && logged.has(r.id))).map((r) => ({ ...r, sha256: named(r.id, r.sha256) }));
  await write(join(ledger, "runs.json"), JSON.stringify({ format: "maskau-protocol-runs", version: 1, runs: mergeRunLogs(old, fresh) }, null, 1) + "\n");
  return notes;
}

/** Whether two records of a run name the same weights (both have the tensors' SHA-256, and it is equal). */
const sameWeights = (a: RunRecord, b: RunRecord) => !!a.checkpoint.tensorsSha256 && a.checkpoint.tensorsSha256 === b.checkpoint.tensorsSha256;

/**
 * Whether run `id`'s checkpoint file in `dir` (SHA-256 `fileSha`) is the model an evaluation
 * names `namedSha`: the same file, or one trained again to the weights of the ledger's record
 * of that file (the ledger keeps its own name for it, see addToLedger).
 */
export function sameModelAs(ledger: string, dir: string, id: string, fileSha: string, namedSha: string): boolean {
  if (fileSha === namedSha) return true;
  const read = (path: string) => (existsSync(path) ? parseRecord(readFileSync(path, "utf8"), path) : undefined);
  const local = read(join(dir, `${id}.record.json`));
  const logged = read(join(ledger, "records", `${id}.record.json`));
  return !!local && !!logged && local.checkpoint.sha256 === fileSha && logged.checkpoint.sha256 === namedSha && sameWeights(local, logged);
}

/** The ledger's run log (runs.json), empty when there is none yet. */
export function readLedgerRuns(ledger: string): LedgerRun[] {
  const path = join(ledger, "runs.json");
  return existsSync(path) ? JSON.parse(readFileSync(path, "utf8")).runs : [];
}

/**
 * Every evaluation in the ledger, sorted by fold and seed, each checked against the ledger:
 * every checkpoint it scored has a run in runs.json with that SHA-256, and a record naming it.
 */
export function readLedgerEvals(ledger: string): ProtocolEvalFile[] {
  const evalDir = join(ledger, "evals");
  if (!existsSync(evalDir)) throw new Error(`${ledger}: no evaluations (expected ${evalDir}/fold<F>-seed<S>.json); run \`maskau reproduce paper\` first`);
  const runsPath = join(ledger, "runs.json");
  const shaOf = new Map(readLedgerRuns(ledger).map((r) => [r.id, r.sha256]));
  const files = readdirSync(evalDir)
    .filter((f) => /^fold\d+-seed\d+\.json$/.test(f))
    .map((f) => JSON.parse(readFileSync(join(evalDir, f), "utf8")) as ProtocolEvalFile)
    .sort((a, b) => a.fold - b.fold || a.seed - b.seed);
  for (const file of files) {
    for (const [id, sha] of Object.entries(file.checkpoints)) {
      const where = `${evalDir}/fold${file.fold}-seed${file.seed}.json`;
      if (shaOf.get(id) !== sha) throw new Error(`${where} scored ${id} with SHA-256 ${sha.slice(0, 12)}..., but ${runsPath} ${shaOf.has(id) ? `logs ${shaOf.get(id)!.slice(0, 12)}...` : "has no such run"}: the ledger is out of step; rerun \`maskau reproduce paper\` for fold ${file.fold}, seed ${file.seed}`);
      const recordPath = join(ledger, "records", `${id}.record.json`);
      const record = existsSync(recordPath) ? parseRecord(readFileSync(recordPath, "utf8"), recordPath) : null;
      if (record?.checkpoint.sha256 !== sha) throw new Error(`${where} scored ${id}, but ${recordPath} ${record ? "names another checkpoint" : "is missing"}`);
    }
  }
  return files;
}

/** What the Evaluation page shows of a dataset's protocol: its results and curves aggregated from the ledger (null while the ledger has no evaluation). */
export interface ProtocolPageData {
  dataset: string;
  ledger: string;
  results: ReturnType<typeof aggregateProtocol> | null;
  curves: ReturnType<typeof aggregateCurves>;
}

/**
 * A dataset's protocol aggregated from the ledger under `root` exactly as `maskau reproduce
 * paper --aggregate-only` and docs/results.md aggregate it (2,000 resamples, seed 0, margin 2
 * points). A dataset not run yet gives nulls, not an error.
 */
export function protocolPageData(dataset: string, root = LEDGER_ROOT): ProtocolPageData {
  const ledger = join(root, dataset);
  const files = existsSync(join(ledger, "evals")) ? readLedgerEvals(ledger) : [];
  if (files.length === 0) return { dataset, ledger, results: null, curves: null };
  return { dataset, ledger, results: aggregateProtocol(files, { resamples: 2000, margin: 0.02, seed: 0 }), curves: aggregateCurves(files, { resamples: 2000, seed: 0 }) };
}

// Validates a run record read from outside (a file in the records folder, a download from
// a page) before a page or a table uses it. Every problem found is listed with the path of
// the field ("metrics.f1[3]"), a code saying what kind of problem it is, and a sentence;
// one RecordError carries them all, so a hand-edited file is fixed in one go. No DOM.
import { previewJson } from "../io/untrusted-json.js";
import { RECORD_FORMAT, RECORD_ID_PATTERN, RECORD_VERSION, RUN_KINDS, type RunRecord } from "./record.js";

export type RecordIssueCode =
  /** A required field is absent. */
  | "missing"
  /** A field has the wrong JSON type. */
  | "wrong-type"
  /** A number outside its range (an F1 above 1, a negative size). */
  | "out-of-range"
  /** A string that does not match its format (an id, a SHA-256, a kind). */
  | "bad-format"
  /** Parallel lists of different lengths (F1 per AU against the AUs). */
  | "length-mismatch"
  /** Not a run record, or a version this code does not read. */
  | "unsupported";

export interface RecordIssue {
  path: string;
  code: RecordIssueCode;
  message: string;
}

export class RecordError extends Error {
  /** The problems found, the first MAX_ISSUES of them. */
  readonly issues: RecordIssue[];
  /** How many problems there were in all. */
  readonly count: number;
  constructor(source: string, issues: RecordIssue[], count = issues.length) {
    const shown = issues.slice(0, 8).map((i) => `  ${i.path || "(record)"}: ${i.message} [${i.code}]`);
    super(`${source} is not a valid run record (${count} problem${count === 1 ? "" : "s"}):\n${shown.join("\n")}${count > 8 ? `\n  ... and ${count - 8} more` : ""}`);
    this.name = "RecordError";
    this.issues = issues;
    this.count = count;
  }
}

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> => v !== null && typeof v === "object" && !Array.isArray(v);
/** A key as it appears in a path, cut short (keys come from the file). */
const keyOf = (k: string) => (k.length > 40 ? `${k.slice(0, 40)}…` : k);
/** A value quoted in a message: bounded, never throws (previewJson). */
const q = (v: Json) => previewJson(v, 60);
const typeName = (v: Json) => (v === null ? "null" : Array.isArray(v) ? "a list" : typeof v === "object" ? "an object" : `a ${typeof v}`);

/** Collects issues while walking a record. */
/** Problems kept in a RecordError (a file with a million bad values reports the count of the rest). */
export const MAX_ISSUES = 100;

class Checker {
  readonly issues: RecordIssue[] = [];
  count = 0;
  add(path: string, code: RecordIssueCode, message: string) {
    if (this.count++ < MAX_ISSUES) this.issues.push({ path, code, message });
  }
  /** The field `key` of `obj`, reporting it missing when required. */
  field(obj: Record<string, Json>, key: string, path: string, required = true): Json | undefined {
    if (!Object.hasOwn(obj, key) || obj[key] === undefined) {
      if (required) this.add(path, "missing", "is required");
      return undefined;
    }
    return obj[key];
  }
  string(v: Json, path: string, { nullable = false, pattern, what }: { nullable?: boolean; pattern?: RegExp; what?: string } = {}): v is string {
    if (v === null && nullable) return false;
    if (typeof v !== "string") return this.wrong(v, path, nullable ? "a string or null" : "a string"), false;
    if (pattern && !pattern.test(v)) return this.add(path, "bad-format", `${q(v)} is not ${what ?? `of the form ${pattern}`}`), false;
    return true;
  }
  number(v: Json, path: string, { nullable = false, min, max, integer = false }: { nullable?: boolean; min?: number; max?: number; integer?: boolean } = {}): v is number {
    if (v === null && nullable) return false;
    if (typeof v !== "number" || !Number.isFinite(v)) return this.wrong(v, path, nullable ? "a finite number or null" : "a finite number"), false;
    if (integer && !Number.isInteger(v)) return this.add(path, "out-of-range", `${v} is not a whole number`), false;
    if ((min !== undefined && v < min) || (max !== undefined && v > max)) {
      return this.add(path, "out-of-range", `${v} is outside [${min ?? "-inf"}, ${max ?? "inf"}]`), false;
    }
    return true;
  }
  object(v: Json, path: string, nullable = false): v is Record<string, Json> {
    if (v === null && nullable) return false;
    if (!isObject(v)) return this.wrong(v, path, nullable ? "an object or null" : "an object"), false;
    return true;
  }
  list(v: Json, path: string): v is Json[] {
    if (!Array.isArray(v)) return this.wrong(v, path, "a list"), false;
    return true;
  }
  wrong(v: Json, path: string, expected: string) {
    // An absent field was reported as missing when it was read (field()).
    if (v !== undefined) this.add(path, "wrong-type", `is ${typeName(v)}, expected ${expected}`);
  }
}

const SHA256 = /^[0-9a-f]{64}$/;
const INPUTS = ["clean", "occluded", "composite"];

/**
 * A run record, checked. Throws RecordError naming every problem; `source` names the file
 * in the message. Fields it does not know are kept (newer writers of the same version may
 * add some).
 */
export function checkRecord(json: unknown, source = "record"): RunRecord {
  const c = new Checker();
  if (!isObject(json)) throw new RecordError(source, [{ path: "", code: "wrong-type", message: `is ${typeName(json)}, expected a JSON object` }]);
  const r = json;
  if (r.format !== RECORD_FORMAT) {
    throw new RecordError(source, [{ path: "format", code: "unsupported", message: `is ${r.format === undefined ? "absent" : q(r.format)}, expected "${RECORD_FORMAT}" (write records with "maskau record")` }]);
  }
  if (typeof r.version !== "number" || !Number.isInteger(r.version) || r.version < 1) {
    c.add("version", r.version === undefined ? "missing" : "wrong-type", `must be a whole number >= 1`);
  } else if (r.version > RECORD_VERSION) {
    throw new RecordError(source, [{ path: "version", code: "unsupported", message: `is ${q(r.version)}; this MaskAU reads records up to version ${RECORD_VERSION} (update MaskAU)` }]);
  }
  c.string(c.field(r, "id", "id"), "id", { pattern: RECORD_ID_PATTERN, what: "a file name stem (a-z, 0-9, '.', '_', '-'; starting with a letter or digit)" });
  const kind = c.field(r, "kind", "kind");
  if (c.string(kind, "kind") && !(RUN_KINDS as readonly string[]).includes(kind)) c.add("kind", "bad-format", `${q(kind)} is not one of ${RUN_KINDS.join(", ")}`);
  c.string(c.field(r, "title", "title"), "title");
  c.string(c.field(r, "createdAt", "createdAt"), "createdAt");
  c.string(c.field(r, "command", "command"), "command", { nullable: true });
  c.string(c.field(r, "recordCommand", "recordCommand"), "recordCommand", { nullable: true });
  const seed = c.field(r, "seed", "seed");
  c.number(seed, "seed", { nullable: true, integer: true });
  const fold = c.field(r, "fold", "fold");
  c.number(fold, "fold", { nullable: true, integer: true, min: 1 });
  c.object(c.field(r, "spec", "spec"), "spec", true);

  const model = c.field(r, "model", "model");
  if (c.object(model, "model")) {
    c.string(c.field(model, "kind", "model.kind"), "model.kind");
    c.string(c.field(model, "name", "model.name"), "model.name", { nullable: true });
    c.object(c.field(model, "config", "model.config"), "model.config");
  }
  const dataset = c.field(r, "dataset", "dataset");
  if (c.object(dataset, "dataset")) {
    c.string(c.field(dataset, "name", "dataset.name"), "dataset.name", { nullable: true });
    const d = c.field(dataset, "description", "dataset.description");
    if (d !== undefined && d !== null && typeof d !== "string" && !isObject(d)) c.wrong(d, "dataset.description", "an object, a string or null");
  }
  const condition = c.field(r, "condition", "condition");
  if (c.object(condition, "condition", true)) {
    const input = c.field(condition, "input", "condition.input");
    if (c.string(input, "condition.input") && !INPUTS.includes(input)) c.add("condition.input", "bad-format", `${q(input)} is not one of ${INPUTS.join(", ")}`);
    c.string(c.field(condition, "occlusion", "condition.occlusion"), "condition.occlusion");
    c.string(c.field(condition, "fill", "condition.fill"), "condition.fill");
  }

  const ckpt = c.field(r, "checkpoint", "checkpoint");
  if (c.object(ckpt, "checkpoint")) {
    c.string(c.field(ckpt, "path", "checkpoint.path"), "checkpoint.path");
    c.string(c.field(ckpt, "sha256", "checkpoint.sha256"), "checkpoint.sha256", { pattern: SHA256, what: "64 lower-case hex digits (a SHA-256)" });
    const tensors = c.field(ckpt, "tensorsSha256", "checkpoint.tensorsSha256", false);
    if (tensors !== undefined) c.string(tensors, "checkpoint.tensorsSha256", { pattern: SHA256, what: "64 lower-case hex digits (a SHA-256)" });
    c.number(c.field(ckpt, "bytes", "checkpoint.bytes"), "checkpoint.bytes", { integer: true, min: 1 });
    c.number(c.field(ckpt, "step", "checkpoint.step"), "checkpoint.step", { nullable: true, integer: true, min: 0 });
    c.string(c.field(ckpt, "createdAt", "checkpoint.createdAt"), "checkpoint.createdAt", { nullable: true });
  }

  const env = c.field(r, "environment", "environment");
  if (c.object(env, "environment")) {
    const scope = c.field(env, "scope", "environment.scope");
    if (c.string(scope, "environment.scope") && scope !== "training" && scope !== "record") c.add("environment.scope", "bad-format", `${q(scope)} is not "training" or "record"`);
    const packages = c.field(env, "packages", "environment.packages");
    if (c.object(packages, "environment.packages")) for (const [k, v] of Object.entries(packages)) c.string(v, `environment.packages.${keyOf(k)}`);
    c.string(c.field(env, "commit", "environment.commit"), "environment.commit", { nullable: true, pattern: /^[0-9a-f]{7,64}$/, what: "a git commit (hex)" });
    const dirty = c.field(env, "dirty", "environment.dirty");
    if (dirty !== undefined && dirty !== null && typeof dirty !== "boolean") c.wrong(dirty, "environment.dirty", "true, false or null");
    for (const k of ["backend", "node", "platform"]) c.string(c.field(env, k, `environment.${k}`), `environment.${k}`, { nullable: true });
  }

  const metrics = c.field(r, "metrics", "metrics");
  if (c.object(metrics, "metrics")) {
    const split = c.field(metrics, "split", "metrics.split");
    if (c.string(split, "metrics.split") && !["test", "validation", "none"].includes(split)) c.add("metrics.split", "bad-format", `${q(split)} is not test, validation or none`);
    c.number(c.field(metrics, "loss", "metrics.loss"), "metrics.loss", { nullable: true });
    c.number(c.field(metrics, "meanF1", "metrics.meanF1"), "metrics.meanF1", { nullable: true, min: 0, max: 1 });
    c.number(c.field(metrics, "meanAcc", "metrics.meanAcc"), "metrics.meanAcc", { nullable: true, min: 0, max: 1 });
    const aus = c.field(metrics, "aus", "metrics.aus");
    const f1 = c.field(metrics, "f1", "metrics.f1");
    const ausOk = c.list(aus, "metrics.aus") && aus.every((a, i) => c.number(a, `metrics.aus[${i}]`, { integer: true, min: 1 }));
    if (c.list(f1, "metrics.f1")) {
      f1.forEach((v, i) => c.number(v, `metrics.f1[${i}]`, { nullable: true, min: 0, max: 1 }));
      if (ausOk && (aus as Json[]).length !== f1.length) c.add("metrics.f1", "length-mismatch", `has ${f1.length} values for ${(aus as Json[]).length} AUs`);
    }
  }

  const history = c.field(r, "history", "history");
  if (c.list(history, "history")) {
    let last = -Infinity;
    history.forEach((h, i) => {
      const p = `history[${i}]`;
      if (!c.object(h, p)) return;
      const step = c.field(h, "step", `${p}.step`);
      if (c.number(step, `${p}.step`, { integer: true, min: 0 })) {
        if (step <= last) c.add(`${p}.step`, "out-of-range", `step ${step} does not follow step ${last}`);
        last = step;
      }
      c.number(c.field(h, "loss", `${p}.loss`), `${p}.loss`);
      for (const [k, v] of Object.entries(h)) if (k !== "step" && k !== "loss") c.number(v, `${p}.${keyOf(k)}`);
    });
  }

  const sweep = c.field(r, "sweep", "sweep", false);
  if (sweep !== undefined && c.object(sweep, "sweep")) checkSweep(c, sweep);
  const features = c.field(r, "features", "features", false);
  if (features !== undefined && c.object(features, "features")) checkFeatures(c, features);

  const evaluations = c.field(r, "evaluations", "evaluations", false);
  if (evaluations !== undefined && c.list(evaluations, "evaluations")) evaluations.forEach((e, i) => c.object(e, `evaluations[${i}]`) && checkEvaluation(c, e, `evaluations[${i}]`));

  if (c.count) throw new RecordError(source, c.issues, c.count);
  return r as unknown as RunRecord;
}

/** A list of AU numbers (whole numbers >= 1); its length, or -1 when it is not a list. */
function auList(c: Checker, aus: Json, path: string): number {
  if (!c.list(aus, path)) return -1;
  aus.forEach((a, i) => c.number(a, `${path}[${i}]`, { integer: true, min: 1 }));
  return aus.length;
}

function checkEvaluation(c: Checker, e: Record<string, Json>, p: string) {
  for (const k of ["label", "occlusion", "fill", "command"]) c.string(c.field(e, k, `${p}.${k}`), `${p}.${k}`);
  const input = c.field(e, "input", `${p}.input`);
  if (c.string(input, `${p}.input`) && !INPUTS.includes(input)) c.add(`${p}.input`, "bad-format", `${q(input)} is not one of ${INPUTS.join(", ")}`);
  const mae = c.field(e, "mae", `${p}.mae`);
  if (c.object(mae, `${p}.mae`, true)) {
    c.string(c.field(mae, "path", `${p}.mae.path`), `${p}.mae.path`);
    c.string(c.field(mae, "sha256", `${p}.mae.sha256`), `${p}.mae.sha256`, { pattern: SHA256, what: "64 lower-case hex digits (a SHA-256)" });
  }
  c.number(c.field(e, "fold", `${p}.fold`), `${p}.fold`, { integer: true, min: 1 });
  c.number(c.field(e, "frames", `${p}.frames`), `${p}.frames`, { integer: true, min: 1 });
  c.number(c.field(e, "meanF1", `${p}.meanF1`), `${p}.meanF1`, { min: 0, max: 1 });
  c.number(c.field(e, "meanAcc", `${p}.meanAcc`), `${p}.meanAcc`, { min: 0, max: 1 });
  const n = auList(c, c.field(e, "aus", `${p}.aus`), `${p}.aus`);
  const f1 = c.field(e, "f1", `${p}.f1`);
  if (c.list(f1, `${p}.f1`)) {
    f1.forEach((v, j) => c.number(v, `${p}.f1[${j}]`, { min: 0, max: 1 }));
    if (n >= 0 && f1.length !== n) c.add(`${p}.f1`, "length-mismatch", `has ${f1.length} values for ${n} AUs`);
  }
}

function checkSweep(c: Checker, s: Record<string, Json>) {
  c.string(c.field(s, "command", "sweep.command"), "sweep.command");
  const input = c.field(s, "input", "sweep.input");
  if (c.string(input, "sweep.input") && !INPUTS.includes(input)) c.add("sweep.input", "bad-format", `${q(input)} is not one of ${INPUTS.join(", ")}`);
  c.string(c.field(s, "fill", "sweep.fill"), "sweep.fill");
  const mae = c.field(s, "mae", "sweep.mae");
  if (c.object(mae, "sweep.mae", true)) {
    c.string(c.field(mae, "path", "sweep.mae.path"), "sweep.mae.path");
    c.string(c.field(mae, "sha256", "sweep.mae.sha256"), "sweep.mae.sha256", { pattern: SHA256, what: "64 lower-case hex digits (a SHA-256)" });
  }
  c.number(c.field(s, "fold", "sweep.fold"), "sweep.fold", { integer: true, min: 1 });
  c.number(c.field(s, "frames", "sweep.frames"), "sweep.frames", { integer: true, min: 1 });
  c.number(c.field(s, "seconds", "sweep.seconds"), "sweep.seconds", { min: 0 });
  const aus = c.field(s, "aus", "sweep.aus");
  const n = auList(c, aus, "sweep.aus");
  const points = c.field(s, "points", "sweep.points");
  if (!c.list(points, "sweep.points")) return;
  if (points.length === 0) c.add("sweep.points", "out-of-range", "is empty");
  points.forEach((pt, i) => {
    const p = `sweep.points[${i}]`;
    if (!c.object(pt, p)) return;
    c.string(c.field(pt, "occlusion", `${p}.occlusion`), `${p}.occlusion`);
    c.number(c.field(pt, "removed", `${p}.removed`), `${p}.removed`, { nullable: true, min: 0, max: 100 });
    c.number(c.field(pt, "meanF1", `${p}.meanF1`), `${p}.meanF1`, { min: 0, max: 1 });
    const f1 = c.field(pt, "f1", `${p}.f1`);
    if (c.list(f1, `${p}.f1`)) {
      f1.forEach((v, j) => c.number(v, `${p}.f1[${j}]`, { min: 0, max: 1 }));
      if (n >= 0 && f1.length !== n) c.add(`${p}.f1`, "length-mismatch", `has ${f1.length} values for ${n} AUs`);
    }
  });
}

function checkFeatures(c: Checker, f: Record<string, Json>) {
  c.string(c.field(f, "command", "features.command"), "features.command");
  const method = c.field(f, "method", "features.method");
  if (c.string(method, "features.method") && method !== "tsne" && method !== "umap") c.add("features.method", "bad-format", `${q(method)} is not tsne or umap`);
  c.number(c.field(f, "seed", "features.seed"), "features.seed", { integer: true });
  c.number(c.field(f, "iterations", "features.iterations"), "features.iterations", { integer: true, min: 1 });
  c.number(c.field(f, "perplexity", "features.perplexity"), "features.perplexity", { nullable: true, min: 0 });
  c.number(c.field(f, "neighbours", "features.neighbours"), "features.neighbours", { nullable: true, min: 1 });
  c.string(c.field(f, "occlusion", "features.occlusion"), "features.occlusion");
  c.string(c.field(f, "faces", "features.faces"), "features.faces");
  c.number(c.field(f, "seconds", "features.seconds"), "features.seconds", { min: 0 });
  const input = c.field(f, "input", "features.input");
  if (c.string(input, "features.input") && !INPUTS.includes(input)) c.add("features.input", "bad-format", `${q(input)} is not one of ${INPUTS.join(", ")}`);
  const which = c.field(f, "features", "features.features");
  if (c.string(which, "features.features") && which !== "au-nodes" && which !== "tokens") c.add("features.features", "bad-format", `${q(which)} is not au-nodes or tokens`);
  const aus = c.field(f, "aus", "features.aus");
  const N = auList(c, aus, "features.aus");
  const x = c.field(f, "x", "features.x");
  const y = c.field(f, "y", "features.y");
  const labels = c.field(f, "labels", "features.labels");
  const subjects = c.field(f, "subjects", "features.subjects");
  let n = -1;
  if (c.list(x, "features.x")) {
    n = x.length;
    x.forEach((v, i) => c.number(v, `features.x[${i}]`));
  }
  if (c.list(y, "features.y")) {
    y.forEach((v, i) => c.number(v, `features.y[${i}]`));
    if (n >= 0 && y.length !== n) c.add("features.y", "length-mismatch", `has ${y.length} coordinates for ${n} points`);
  }
  if (c.list(labels, "features.labels")) {
    if (n >= 0 && labels.length !== n) c.add("features.labels", "length-mismatch", `has ${labels.length} rows for ${n} points`);
    labels.forEach((row, i) => {
      if (!c.list(row, `features.labels[${i}]`)) return;
      if (N >= 0 && row.length !== N) c.add(`features.labels[${i}]`, "length-mismatch", `has ${row.length} values for ${N} AUs`);
      row.forEach((v, j) => v === 0 || v === 1 || c.add(`features.labels[${i}][${j}]`, "out-of-range", `${q(v)} is not 0 or 1`));
    });
  }
  if (c.list(subjects, "features.subjects")) {
    if (n >= 0 && subjects.length !== n) c.add("features.subjects", "length-mismatch", `has ${subjects.length} subjects for ${n} points`);
    subjects.forEach((v, i) => c.string(v, `features.subjects[${i}]`));
  }
  const sil = c.field(f, "silhouette", "features.silhouette");
  if (c.object(sil, "features.silhouette")) {
    const byAu = c.field(sil, "byAu", "features.silhouette.byAu");
    if (c.list(byAu, "features.silhouette.byAu")) {
      byAu.forEach((v, i) => c.number(v, `features.silhouette.byAu[${i}]`, { nullable: true, min: -1, max: 1 }));
      if (N >= 0 && byAu.length !== N) c.add("features.silhouette.byAu", "length-mismatch", `has ${byAu.length} values for ${N} AUs`);
    }
    c.number(c.field(sil, "byIdentity", "features.silhouette.byIdentity"), "features.silhouette.byIdentity", { nullable: true, min: -1, max: 1 });
  }
}

/** Parses record text (a file's contents) and checks it. */
export function parseRecord(text: string, source = "record"): RunRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new RecordError(source, [{ path: "", code: "wrong-type", message: `is not JSON (${(e as Error).message})` }]);
  }
  return checkRecord(json, source);
}

// `maskau inspect FILE...`: what a safetensors file holds, read from its header alone. The
// tensor data is never read, so a large file is listed at once and a file whose header is
// bad (truncated, not safetensors, empty) fails at once with one message. Shows the MaskAU
// metadata (model, config, dataset, seed, step, metrics, the command that wrote it), a
// reference fixture's sidecar (kind, name, roles) when FILE.json sits beside it, a tensor
// table (name, dtype, shape, bytes), and which model the tensors fit. `--json` prints one
// JSON object per file.
import { Command } from "commander";
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { basename } from "node:path";
import { checkpointMeta, OPTIMIZER_PREFIX, type CheckpointMeta } from "../../src/lib/io/checkpoint.js";
import { checkSidecarAgainst, parseSidecar, type Sidecar } from "../../src/lib/io/fixture.js";
import { fitFromMeta, fitFromSidecar, guessByNames, needsBackend, type ModelFit } from "../../src/lib/io/model-fit.js";
import { inspectSafetensorsHeader, safetensorsHeaderLength, type SafeDtype } from "../../src/lib/io/safetensors.js";
import { initNodeBackend } from "../../src/lib/tf/node.js";
import { sidecarPathFor } from "./fixture.js";

const DTYPE_BYTES: Record<SafeDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export interface InspectedTensor {
  name: string;
  dtype: SafeDtype;
  shape: number[];
  bytes: number;
  /** The fixture sidecar's role for the tensor. */
  role?: string;
}

export interface InspectReport {
  file: string;
  bytes: number;
  /** Length of the JSON header. */
  headerBytes: number;
  kind: "maskau-checkpoint" | "fixture" | "safetensors";
  /** `__metadata__` entries other than MaskAU's own. */
  metadata: Record<string, string>;
  /** MaskAU's metadata, validated; null for other files. */
  maskau: CheckpointMeta | null;
  fixture: { sidecar: string; kind: string; name?: string; description?: unknown; roles: Record<string, number> } | null;
  /** Why a .json beside the file was not taken as its sidecar. */
  sidecarProblem?: string;
  tensors: InspectedTensor[];
  optimizerBuffers: number;
  fit: ModelFit;
}

function readFully(fd: number, length: number, position: number): Buffer {
  const out = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, out, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return out.subarray(0, done);
}

/** The header of a safetensors file (first 8+N bytes only) and the file's size; one clear error otherwise. */
function readHeader(file: string): { header: Uint8Array; size: number } {
  let stat;
  try {
    stat = statSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new Error(`${file}: no such file`);
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  if (stat.isDirectory()) throw new Error(`${file} is a directory, not a safetensors file`);
  if (!stat.isFile()) throw new Error(`${file} is not a regular file`);
  const fd = openSync(file, "r");
  try {
    const prefix = readFully(fd, Math.min(8, stat.size), 0);
    const length = safetensorsHeaderLength(prefix, stat.size, file);
    return { header: readFully(fd, 8 + length, 0), size: stat.size };
  } finally {
    closeSync(fd);
  }
}

/** Everything `maskau inspect` reports about one file. */
export async function inspectFile(file: string): Promise<InspectReport> {
  const { header, size } = readHeader(file);
  const listing = inspectSafetensorsHeader(header, size, file);
  const maskau = checkpointMeta(listing.metadata, file);
  const metadata = Object.fromEntries(Object.entries(listing.metadata).filter(([k]) => k !== "maskau"));
  const tensors: InspectedTensor[] = listing.entries.map((e) => ({ ...e, bytes: e.shape.reduce((a, d) => a * d, 1) * DTYPE_BYTES[e.dtype] }));

  let sidecar: Sidecar | null = null;
  let sidecarProblem: string | undefined;
  const sidecarFile = sidecarPathFor(file);
  if (!maskau && sidecarFile !== file && existsSync(sidecarFile) && statSync(sidecarFile).isFile()) {
    try {
      const parsed = parseSidecar(readFileSync(sidecarFile, "utf8"), basename(sidecarFile));
      checkSidecarAgainst(parsed, new Map(listing.entries.map((e) => [e.name, e])), basename(sidecarFile));
      sidecar = parsed;
    } catch (e) {
      sidecarProblem = (e as Error).message;
    }
  }
  if (sidecar) for (const t of tensors) if (sidecar.tensors[t.name]) t.role = sidecar.tensors[t.name].role;

  let fit: ModelFit;
  if (maskau) {
    if (needsBackend(maskau)) await initNodeBackend("cpu");
    fit = await fitFromMeta(maskau, listing.entries, file);
  } else if (sidecar) {
    fit = fitFromSidecar(sidecar, listing.entries);
  } else {
    fit = guessByNames(listing.entries);
  }
  const roles: Record<string, number> = {};
  for (const t of tensors) if (t.role) roles[t.role] = (roles[t.role] ?? 0) + 1;
  return {
    file,
    bytes: size,
    headerBytes: header.length - 8,
    kind: maskau ? "maskau-checkpoint" : sidecar ? "fixture" : "safetensors",
    metadata,
    maskau,
    fixture: sidecar ? { sidecar: sidecarFile, kind: sidecar.kind, name: sidecar.name, description: sidecar.description, roles } : null,
    ...(sidecarProblem ? { sidecarProblem } : {}),
    tensors,
    optimizerBuffers: maskau?.trainer ? tensors.filter((t) => t.name.startsWith(OPTIMIZER_PREFIX)).length : 0,
    fit,
  };
}

// ---------------------------------------------------------------------------------
// Text output

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

function value(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
  if (typeof v === "string") return /^[\w./:+-]*$/.test(v) && v !== "" ? v : JSON.stringify(v);
  if (Array.isArray(v)) {
    if (v.every((x) => x === null || typeof x !== "object")) {
      return v.length <= 12 ? `[${v.map(value).join(",")}]` : `[${v.length} values]`;
    }
    return `[${v.length} items]`;
  }
  return String(v);
}

/** Scalar leaves of an object as key=value, nested keys dotted (depth-limited). */
function pairs(obj: unknown, prefix = "", depth = 0): string[] {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) return [`${prefix}=${value(obj)}`];
  const out: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === "object" && !Array.isArray(v) && depth < 3) out.push(...pairs(v, key, depth + 1));
    else out.push(`${key}=${value(v)}`);
  }
  return out;
}

/** Words wrapped at `width`, continuation lines indented like the first. */
function wrap(items: string[], indent: string, width = 100): string {
  const lines: string[] = [];
  let line = "";
  for (const item of items) {
    if (line && line.length + 1 + item.length > width - indent.length) {
      lines.push(line);
      line = item;
    } else line = line ? `${line} ${item}` : item;
  }
  if (line) lines.push(line);
  return lines.join(`\n${indent}`);
}

export function formatReport(r: InspectReport): string {
  const kind = r.kind === "maskau-checkpoint" ? "MaskAU checkpoint" : r.kind === "fixture" ? "reference fixture" : "safetensors";
  const out = [`${r.file}: ${kind}, ${r.tensors.length} tensor${r.tensors.length === 1 ? "" : "s"}, ${size(r.bytes)} (${r.bytes} bytes, header ${r.headerBytes})`];
  const indent = " ".repeat(14);
  const row = (label: string, text: string) => out.push(`  ${label.padEnd(12)}${text}`);
  const m = r.maskau;
  if (m) {
    row("model", m.model);
    row("config", wrap(pairs(m.config), indent));
    if (m.dataset !== undefined && m.dataset !== null) row("dataset", typeof m.dataset === "string" ? m.dataset : wrap(pairs(m.dataset), indent));
    for (const k of ["seed", "step"] as const) if (m[k] !== undefined && m[k] !== null) row(k, String(m[k]));
    if (m.metrics && Object.keys(m.metrics).length) row("metrics", wrap(pairs(m.metrics), indent));
    if (m.createdBy) row("created by", m.createdBy);
    if (m.createdAt) row("created at", m.createdAt);
    row("resumable", m.trainer ? `yes: trainer step ${m.trainer.step}, ${m.trainer.variables.length} trainable tensors, ${r.optimizerBuffers} optimizer buffers` : "no (weights only)");
    const history = m.trainer?.history ?? m.history;
    if (history?.length) row("history", `${history.length} steps recorded`);
  }
  if (r.fixture) {
    row("sidecar", `${basename(r.fixture.sidecar)}: kind ${r.fixture.kind}${r.fixture.name ? `, name ${r.fixture.name}` : ""}`);
    if (typeof r.fixture.description === "string") row("description", wrap(r.fixture.description.split(" "), indent));
    row("roles", Object.entries(r.fixture.roles).map(([k, n]) => `${k} ${n}`).join(", "));
  }
  if (r.sidecarProblem) row("sidecar", `not used: ${r.sidecarProblem}`);
  if (Object.keys(r.metadata).length) row("metadata", wrap(Object.entries(r.metadata).map(([k, v]) => `${k}=${value(v)}`), indent));
  const verdict = r.fit.fits === true ? "yes" : r.fit.fits === false ? "NO" : "guess";
  row("fits", `${verdict} (${r.fit.basis === "names" ? "by tensor names" : `from the ${r.fit.basis}`}): ${r.fit.detail}`);

  const shapes = r.tensors.map((t) => `[${t.shape.join(", ")}]`);
  const wName = Math.max(6, ...r.tensors.map((t) => t.name.length));
  const wShape = Math.max(5, ...shapes.map((s) => s.length));
  const wBytes = Math.max(5, ...r.tensors.map((t) => String(t.bytes).length));
  const roles = r.fixture !== null;
  out.push("", `  ${"tensor".padEnd(wName)}  dtype  ${"shape".padEnd(wShape)}  ${"bytes".padStart(wBytes)}${roles ? "  role" : ""}`);
  r.tensors.forEach((t, i) => out.push(`  ${t.name.padEnd(wName)}  ${t.dtype.padEnd(5)}  ${shapes[i].padEnd(wShape)}  ${String(t.bytes).padStart(wBytes)}${roles ? `  ${t.role ?? "-"}` : ""}`));
  const total = r.tensors.reduce((a, t) => a + t.bytes, 0);
  out.push(`  ${r.tensors.length} tensors, ${total} bytes of data`);
  return out.join("\n");
}

export function inspectCommand(): Command {
  return new Command("inspect")
    .description("show a checkpoint's or fixture's metadata, its tensors, and which model they fit (reads the header only)")
    .argument("<files...>", ".safetensors files (MaskAU checkpoints, reference fixtures, any safetensors)")
    .option("--json", "print one JSON object per file")
    .action(async (files: string[], opts: { json?: boolean }) => {
      for (const [i, file] of files.entries()) {
        const report = await inspectFile(file);
        process.stdout.write(opts.json ? JSON.stringify(report) + "\n" : `${i ? "\n" : ""}${formatReport(report)}\n`);
      }
    });
}

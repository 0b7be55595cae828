// The parameters and buffers of a model, by their official state_dict key names
// (torch layouts: Linear weights [out, in], Conv2d [out, in, kh, kw]). Models look
// their tensors up here by name, so a checkpoint written by the official PyTorch
// code (converted to safetensors) loads as is, and MaskAU's own checkpoints load in
// PyTorch. Trainable parameters go to the optimizer; buffers (BatchNorm running
// statistics, fixed position embeddings, step counters) are saved but not trained.
import * as tf from "@tensorflow/tfjs-core";

/** Plain tensor data as stored in a checkpoint. */
export interface TensorData {
  shape: number[];
  data: Float32Array | Int32Array;
}

export interface LoadReport {
  missing: string[];
  unexpected: string[];
  misShaped: { name: string; expected: number[]; got: number[] }[];
}

export class CheckpointMismatchError extends Error {
  constructor(readonly report: LoadReport, source: string) {
    const parts: string[] = [];
    if (report.missing.length) parts.push(`missing ${report.missing.length}: ${list(report.missing)}`);
    if (report.unexpected.length) parts.push(`unexpected ${report.unexpected.length}: ${list(report.unexpected)}`);
    if (report.misShaped.length) {
      parts.push(
        `wrong shape ${report.misShaped.length}: ` +
          report.misShaped.slice(0, 8).map((m) => `${m.name} expected [${m.expected}] got [${m.got}]`).join(", "),
      );
    }
    super(
      `${source} does not match the model (${parts.join("; ")}). Check that the checkpoint and the model ` +
        `preset agree, or pass { strict: false } to load the matching tensors only.`,
    );
    this.name = "CheckpointMismatchError";
  }
}

function list(names: string[]): string {
  return names.slice(0, 8).join(", ") + (names.length > 8 ? `, ... (${names.length - 8} more)` : "");
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

export class ParamStore {
  /** Every entry in state_dict order (insertion order). */
  private readonly entries = new Map<string, { variable: tf.Variable; trainable: boolean }>();

  /** Registers a tensor under its official name; keeps (and will dispose) it as a variable. */
  add(name: string, value: tf.Tensor, { trainable = true } = {}): tf.Variable {
    if (this.entries.has(name)) throw new Error(`parameter "${name}" registered twice`);
    const variable = tf.variable(value, trainable, `${name}#${nextId++}`);
    value.dispose();
    this.entries.set(name, { variable, trainable });
    return variable;
  }

  /** The variable named `name` (throws naming it if absent). */
  get(name: string): tf.Variable {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`no parameter "${name}" in this model`);
    return entry.variable;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  /** Trainable variables by name (what the Trainer and the optimizer see). */
  trainable(): Record<string, tf.Variable> {
    const out: Record<string, tf.Variable> = {};
    for (const [name, e] of this.entries) if (e.trainable) out[name] = e.variable;
    return out;
  }

  /** Number of trainable scalars. */
  countTrainable(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.trainable) n += e.variable.size;
    return n;
  }

  /** Everything, parameters and buffers, as plain data in state_dict order. */
  async stateDict(): Promise<Map<string, TensorData>> {
    const out = new Map<string, TensorData>();
    for (const [name, e] of this.entries) {
      const data = (await e.variable.data()) as Float32Array | Int32Array;
      out.set(name, { shape: [...e.variable.shape], data: data.slice() });
    }
    return out;
  }

  /** Compares names and shapes without loading anything. */
  check(tensors: Map<string, { shape: number[] }>): LoadReport {
    const report: LoadReport = { missing: [], unexpected: [], misShaped: [] };
    for (const [name, e] of this.entries) {
      const t = tensors.get(name);
      if (!t) report.missing.push(name);
      else if (!sameShape(t.shape, e.variable.shape)) report.misShaped.push({ name, expected: [...e.variable.shape], got: t.shape });
    }
    for (const name of tensors.keys()) if (!this.entries.has(name)) report.unexpected.push(name);
    return report;
  }

  /**
   * Assigns tensors by name. Strict (the default): any missing, unexpected or
   * mis-shaped key throws CheckpointMismatchError and nothing is assigned.
   * Non-strict: assigns the matching tensors and returns the report.
   */
  load(tensors: Map<string, TensorData>, { strict = true, source = "checkpoint" } = {}): LoadReport {
    const report = this.check(tensors);
    const clean = !report.missing.length && !report.unexpected.length && !report.misShaped.length;
    if (strict && !clean) throw new CheckpointMismatchError(report, source);
    const bad = new Set(report.misShaped.map((m) => m.name));
    for (const [name, e] of this.entries) {
      const t = tensors.get(name);
      if (!t || bad.has(name)) continue;
      tf.tidy(() => e.variable.assign(tf.tensor(t.data, t.shape, e.variable.dtype)));
    }
    return report;
  }

  dispose(): void {
    for (const e of this.entries.values()) e.variable.dispose();
    this.entries.clear();
  }
}

let nextId = 0;

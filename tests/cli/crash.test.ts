// Crashes, end to end through the CLI, with the fault hooks of src/lib/faults-node.ts:
// a training process SIGKILLed while it writes a checkpoint leaves the previous
// checkpoint intact and --resume ends bit for bit where an uninterrupted run ends; a
// non-finite loss stops the run with exit code 1 and a message naming the step and
// the file, which keeps the last good state and resumes.
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeCheckpoint, type DecodedCheckpoint } from "../../src/lib/io/checkpoint.js";

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "maskau-crash-"));
const data = join(dir, "faces");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const maskau = (args: string[], fault?: string) =>
  exec("node", ["cli/maskau.mjs", ...args], { maxBuffer: 1 << 24, env: { ...process.env, MASKAU_FAULT: fault ?? "" } });
const read = (file: string): DecodedCheckpoint => decodeCheckpoint(new Uint8Array(readFileSync(file)), file);

/**
 * Runs the CLI under MASKAU_FAULT=kill-during-write:N, waits until the hook says it is
 * hanging half way through the temporary file, checks what is on disk at that moment,
 * and SIGKILLs the process.
 */
async function killDuringWrite(args: string[], write: number, whileHanging: (tmp: { path: string; written: number; total: number }) => void): Promise<NodeJS.Signals | null> {
  const child = spawn("node", ["cli/maskau.mjs", ...args], { env: { ...process.env, MASKAU_FAULT: `kill-during-write:${write}` }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_, signal) => resolve(signal)));
  const hanging = await new Promise<RegExpExecArray>((resolve, reject) => {
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const m = /maskau fault: hanging after (\d+) of (\d+) bytes of (\S+) /.exec(stderr);
      if (m) resolve(m);
    });
    child.on("exit", (code) => reject(new Error(`exited (${code}) before the fault:\n${stderr}`)));
  });
  try {
    whileHanging({ path: hanging[3], written: Number(hanging[1]), total: Number(hanging[2]) });
  } finally {
    child.kill("SIGKILL");
  }
  return exited;
}

function expectSameRun(a: DecodedCheckpoint, b: DecodedCheckpoint): void {
  expect(b.meta?.step).toBe(a.meta?.step);
  expect([...b.tensors.keys()]).toEqual([...a.tensors.keys()]);
  for (const [name, t] of a.tensors) expect(Array.from(b.tensors.get(name)!.data), name).toEqual(Array.from(t.data));
  expect(b.optimizer?.step).toBe(a.optimizer?.step);
  for (const [name, t] of Object.entries(a.optimizer?.buffers ?? {})) expect(Array.from(b.optimizer!.buffers[name].values), name).toEqual(Array.from(t.values));
  expect(b.meta?.trainer?.history.map((h) => h.loss)).toEqual(a.meta?.trainer?.history.map((h) => h.loss));
}

beforeAll(async () => {
  await maskau(["data", "generate", "--preset", "bp4d", "--subjects", "3", "--sequences", "1", "--frames", "4", "--out", data, "--no-cache"]);
}, 120_000);

const pretrain = ["pretrain", "--data", data, "--steps", "6", "--batch", "4", "--warmup", "2", "--checkpoint-every", "2", "--fold", "1", "--seed", "3"];
const detector = ["train", "detector", "--data", data, "--steps", "6", "--batch", "4", "--warmup", "2", "--checkpoint-every", "2", "--fold", "1", "--seed", "3", "--optimizer-state"];

describe("a run killed while writing a checkpoint", () => {
  it("pretrain: the checkpoint of step 2 survives a SIGKILL half way through writing step 4's, and --resume ends as the uninterrupted run", async () => {
    const whole = join(dir, "pretrain-whole.safetensors");
    const file = join(dir, "pretrain-killed.safetensors");
    await maskau([...pretrain, "--out", whole]);
    let left = "";
    const signal = await killDuringWrite([...pretrain, "--out", file], 2, (tmp) => {
      // Caught in the act: half of step 4's checkpoint in the temporary file, step 2's in place.
      left = tmp.path;
      expect(tmp.written).toBe(tmp.total >> 1);
      expect(statSync(tmp.path).size).toBe(tmp.written);
      expect(read(file).meta?.step).toBe(2);
    });
    expect(signal).toBe("SIGKILL");
    const kept = read(file);
    expect(kept.meta?.step).toBe(2);
    expect(kept.optimizer?.step).toBe(2);
    expect(existsSync(left)).toBe(true);
    const { stderr } = await maskau([...pretrain, "--out", file, "--resume"]);
    expect(stderr).toContain(`resuming ${file} at step 2`);
    expectSameRun(read(whole), read(file));
    // The resumed run's first write removed the temporary file the killed one left.
    expect(existsSync(left)).toBe(false);
  });

  it("detector (--optimizer-state): killed while writing the final checkpoint, it keeps step 4's and resumes to the uninterrupted result", async () => {
    const whole = join(dir, "detector-whole.safetensors");
    const file = join(dir, "detector-killed.safetensors");
    await maskau([...detector, "--out", whole]);
    const signal = await killDuringWrite([...detector, "--out", file], 3, (tmp) => {
      expect(statSync(tmp.path).size).toBe(tmp.total >> 1);
      expect(read(file).meta?.step).toBe(4);
    });
    expect(signal).toBe("SIGKILL");
    expect(read(file).meta?.step).toBe(4);
    const { stderr, stdout } = await maskau([...detector, "--out", file, "--resume"]);
    expect(stderr).toContain(`resuming ${file} at step 4`);
    expect(stdout).toContain(`wrote ${file} at step 6`);
    const a = read(whole);
    const b = read(file);
    expectSameRun(a, b);
    expect(b.meta?.metrics).toEqual(a.meta?.metrics);
  });
});

describe("a non-finite loss", () => {
  it("stops the run with exit code 1 naming the step and the file, which keeps the last good checkpoint and resumes", async () => {
    const whole = join(dir, "pretrain-whole.safetensors");
    if (!existsSync(whole)) await maskau([...pretrain, "--out", whole]);
    const file = join(dir, "pretrain-nan.safetensors");
    const err = (await maskau([...pretrain, "--out", file], "nan-loss:5").catch((e) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(1);
    expect(err.stderr).toContain(`maskau: the loss became NaN at step 5; no update was applied and ${file} holds the last good checkpoint, step 4`);
    const kept = read(file);
    expect(kept.meta?.step).toBe(4);
    expect(kept.meta?.trainer?.history.every((h) => Number.isFinite(h.loss))).toBe(true);
    for (const [name, t] of kept.tensors) expect(t.data.every(Number.isFinite), name).toBe(true);
    const { stderr } = await maskau([...pretrain, "--out", file, "--resume"]);
    expect(stderr).toContain(`resuming ${file} at step 4`);
    expectSameRun(read(whole), read(file));
  });

  it("names the file even when no checkpoint was written yet", async () => {
    const file = join(dir, "pretrain-nan-early.safetensors");
    const err = (await maskau([...pretrain, "--out", file], "nan-loss:1").catch((e) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(1);
    expect(err.stderr).toContain(`the loss became NaN at step 1; no update was applied and this run wrote no checkpoint to ${file} before it`);
    expect(existsSync(file)).toBe(false);
  });
});

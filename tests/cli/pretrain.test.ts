// `maskau pretrain` end to end on a small generated dataset: an interrupted run that
// is resumed ends with exactly the weights of an uninterrupted one, and the final
// checkpoint carries its metadata and leaves its run record beside it.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeCheckpoint } from "../../src/lib/io/checkpoint.js";
import { parseRecord } from "../../src/lib/records/check.js";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "maskau-pretrain-"));
const data = join(dir, "faces");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const common = ["--data", data, "--steps", "6", "--batch", "4", "--warmup", "2", "--checkpoint-every", "2", "--fold", "1", "--seed", "3"];
const maskau = (...args: string[]) => run("node", ["cli/maskau.mjs", ...args], { maxBuffer: 1 << 24 });

beforeAll(async () => {
  await maskau("data", "generate", "--preset", "bp4d", "--subjects", "3", "--sequences", "1", "--frames", "4", "--out", data, "--no-cache");
}, 120_000);

describe("maskau pretrain", () => {
  it("resumes an interrupted run exactly and records how the checkpoint was made", async () => {
    const whole = join(dir, "whole.safetensors");
    const parts = join(dir, "parts.safetensors");
    await maskau("pretrain", ...common, "--out", whole);
    await maskau("pretrain", ...common, "--out", parts, "--stop-after", "3");
    const halfway = decodeCheckpoint(new Uint8Array(readFileSync(parts)));
    expect(halfway.meta?.step).toBe(3);
    expect(halfway.optimizer?.step).toBe(3);
    // An interrupted run leaves no record; the finished one does.
    const partsRecord = parts.replace(/\.safetensors$/, ".record.json");
    expect(existsSync(partsRecord)).toBe(false);
    const { stderr } = await maskau("pretrain", ...common, "--out", parts, "--resume");
    expect(stderr).toContain("resuming");
    const record = parseRecord(readFileSync(partsRecord, "utf8"), partsRecord);
    expect(record).toMatchObject({ kind: "mae", checkpoint: { step: 6 }, metrics: { split: "none", aus: [] }, environment: { scope: "training" } });
    expect(record.history).toHaveLength(6);
    const a = decodeCheckpoint(new Uint8Array(readFileSync(whole)));
    const b = decodeCheckpoint(new Uint8Array(readFileSync(parts)));
    expect(a.meta?.step).toBe(6);
    expect(b.meta?.step).toBe(6);
    expect(a.meta?.createdBy).toMatch(/^maskau pretrain --data .* --out /);
    expect(a.meta?.model).toBe("mae");
    expect([...b.tensors.keys()]).toEqual([...a.tensors.keys()]);
    for (const [name, t] of a.tensors) expect(Array.from(b.tensors.get(name)!.data), name).toEqual(Array.from(t.data));
    expect(b.meta?.trainer?.history.map((h) => h.loss)).toEqual(a.meta?.trainer?.history.map((h) => h.loss));
  });

  it("explains a bad --data argument", async () => {
    const err = (await maskau("pretrain", "--data", join(dir, "nowhere"), "--steps", "1").catch((e) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(1);
    expect(err.stderr).toContain('not "synthetic[:bp4d|disfa]" and no such folder');
  });
});

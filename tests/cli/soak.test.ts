// `maskau soak` (npm run soak) end to end, very short: the table and the exit code.
// The soak itself, 60 steps per kind: tests/lib/runs/soak.test.ts.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const maskau = (...args: string[]) => run("node", ["cli/maskau.mjs", ...args], { maxBuffer: 1 << 24 });

describe("maskau soak", () => {
  it("prints one flat row per run of the kind asked for", async () => {
    const { stdout } = await maskau("soak", "--kind", "pretrain", "--steps", "6", "--warmup", "3");
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^run\s+steps\s+tensors \(step 3 \/ end\)\s+bytes \(step 3 \/ end\)\s+left after dispose\s+steps\/s$/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^pretrain\s+6\s+(\d+) \/ \1\s+(\d+) \/ \2\s+0\s+[\d.]+\s+flat$/);
  });

  it("refuses a kind it has no soak for", async () => {
    const err = (await maskau("soak", "--kind", "teacher").catch((e) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(1);
    expect(err.stderr).toMatch(/choose pretrain, detector.* or all/);
  });
});

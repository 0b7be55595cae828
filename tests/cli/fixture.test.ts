// `maskau fixture check`: every shipped reference fixture passes, and a fixture whose
// recorded output is perturbed, or whose weights lack a key, fails with exit code 1.
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { readSafetensors, writeSafetensors, type TensorToWrite } from "../../src/lib/io/safetensors.js";
import { fixturePath, SHARED_DIR } from "../support/shared.js";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "maskau-fixture-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of a fixture with `edit` applied to its tensors (same sidecar). */
function editedCopy(name: string, edit: (tensors: Map<string, TensorToWrite>) => void): string {
  const { tensors } = readSafetensors(new Uint8Array(readFileSync(fixturePath(`${name}.safetensors`))));
  const out = new Map<string, TensorToWrite>();
  for (const [k, t] of tensors) out.set(k, { dtype: t.dtype === "I64" ? "I64" : "F32", shape: t.shape, data: Array.from(t.data) });
  edit(out);
  const file = join(dir, `${name}.safetensors`);
  writeFileSync(file, writeSafetensors(out));
  copyFileSync(fixturePath(`${name}.json`), join(dir, `${name}.json`));
  return file;
}

describe("maskau fixture check", () => {
  it("passes every shipped reference fixture and prints per-tensor errors", async () => {
    const files = ["mae_tiny", "mae_tiny_normpix", "megraphau_anfl", "megraphau_mefl", "megraphau_losses", "megraphau_metrics", "kd_losses"].map((n) =>
      join(SHARED_DIR, "fixtures", "reference", `${n}.safetensors`),
    );
    const { stdout } = await run("node", ["cli/maskau.mjs", "fixture", "check", ...files]);
    expect(stdout).toContain("7/7 fixtures pass");
    expect(stdout).toMatch(/output\.pred\s+output\s+allclose\s+\S+/);
    expect(stdout).toMatch(/output\.cl_edge\s+output/);
    expect(stdout).toContain("kd_losses.safetensors (kind kd): PASS");
    expect(stdout).not.toContain("FAIL");
  });

  it("fails (exit 1) when a recorded output differs beyond the tolerance", async () => {
    const file = editedCopy("mae_tiny", (t) => {
      const pred = t.get("output.pred")!;
      pred.data = Array.from(pred.data, (v, i) => (i === 7 ? v + 1e-2 : v));
    });
    const err = (await run("node", ["cli/maskau.mjs", "fixture", "check", file]).catch((e) => e)) as { code: number; stdout: string };
    expect(err.code).toBe(1);
    expect(err.stdout).toMatch(/output\.pred .*FAIL \(1 elements\)/);
    expect(err.stdout).toContain("0/1 fixtures pass");
  });

  it("fails with a message naming the key when the weights lack one", async () => {
    const file = editedCopy("megraphau_anfl", (t) => t.delete("head.gnn.U.bias"));
    const err = (await run("node", ["cli/maskau.mjs", "fixture", "check", file]).catch((e) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(1);
    expect(err.stderr).toContain("head.gnn.U.bias");
  });
});

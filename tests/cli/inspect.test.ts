// `maskau inspect`: the shipped checkpoints fit the models their metadata describe, a
// reference fixture is shown with its sidecar, files without metadata get a guess from
// their names, and bad files (truncated, not safetensors, empty, a directory, missing) fail
// with one message and exit 1, quickly and without reading a large file's data.
import { execFile } from "node:child_process";
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { formatReport, inspectFile, type InspectReport } from "../../cli/commands/inspect.js";
import { MAE_PRESETS } from "../../src/lib/config.js";
import { encodeCheckpoint } from "../../src/lib/io/checkpoint.js";
import { detectorLayout, maeLayout } from "../../src/lib/io/model-fit.js";
import { writeSafetensors, type TensorToWrite } from "../../src/lib/io/safetensors.js";
import { alignLayout } from "../../src/lib/models/align.js";
import { createStudent, studentConfig, studentModelKind } from "../../src/lib/models/student.js";
import { useBackend } from "../lib/tf/backends.js";
import { fixturePath } from "../support/shared.js";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "maskau-inspect-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SHIPPED = ["mae-tiny", "detector-tiny-clean", "teacher-tiny-random0.5", "teacher-tiny-block0.3"].map((n) => `src/checkpoints/${n}.safetensors`);

/** A safetensors file of zero-filled tensors with these names and shapes (no metadata). */
function fileOf(name: string, entries: [string, number[]][]): string {
  const tensors = new Map<string, TensorToWrite>(entries.map(([n, shape]) => [n, { dtype: "F32", shape, data: new Float32Array(shape.reduce((a, d) => a * d, 1)) }]));
  const path = join(dir, name);
  writeFileSync(path, writeSafetensors(tensors));
  return path;
}

/** Runs the CLI; resolves to its exit code and output (it does not throw on exit 1). */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run("node", ["cli/maskau.mjs", "inspect", ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe("maskau inspect", () => {
  it("shows the shipped checkpoints' metadata and that each fits the model its metadata describes (--json)", async () => {
    const { code, stdout } = await cli("--json", ...SHIPPED);
    expect(code).toBe(0);
    const reports = stdout.trim().split("\n").map((l) => JSON.parse(l) as InspectReport);
    expect(reports.map((r) => [r.kind, r.maskau!.model, r.fit.fits, r.fit.basis])).toEqual([
      ["maskau-checkpoint", "mae", true, "metadata"],
      ["maskau-checkpoint", "megraphau-anfl", true, "metadata"],
      ["maskau-checkpoint", "megraphau-anfl", true, "metadata"],
      ["maskau-checkpoint", "megraphau-anfl", true, "metadata"],
    ]);
    const mae = reports[0];
    expect(mae.tensors).toHaveLength(86);
    expect(mae.tensors[0]).toEqual({ name: "cls_token", dtype: "F32", shape: [1, 1, 96], bytes: 384 });
    expect(mae.maskau!.createdBy).toMatch(/^maskau pretrain --preset tiny/);
    expect(mae.maskau!.step).toBe(2000);
    expect(mae.fit.comparison).toMatchObject({ expected: 86, matched: 86, missing: [], unexpected: [], misShaped: [] });
    expect(reports[1].tensors.find((t) => t.name === "backbone.bn1.num_batches_tracked")).toMatchObject({ dtype: "I64", shape: [], bytes: 8 });
    expect(reports[1].maskau!.metrics!.meanF1).toBeCloseTo(0.7044, 4);
  });

  it("prints the MAE's metadata, the fit and the tensor table as text", async () => {
    const text = formatReport(await inspectFile("src/checkpoints/mae-tiny.safetensors"));
    expect(text).toMatch(/^src\/checkpoints\/mae-tiny\.safetensors: MaskAU checkpoint, 86 tensors, 2\.4 MiB/);
    expect(text).toMatch(/\n {2}model {7}mae\n/);
    expect(text).toMatch(/config {6}preset=tiny imgSize=64 patchSize=8 .*embedDim=96 depth=4/);
    expect(text).toMatch(/dataset {5}name=synthetic-bp4d/);
    expect(text).toMatch(/\n {2}seed {8}0\n {2}step {8}2000\n {2}metrics {5}loss=0\.09791\n/);
    expect(text).toMatch(/created by {2}maskau pretrain --preset tiny/);
    expect(text).toMatch(/fits {8}yes \(from the metadata\): the MAE tiny built from the metadata's config: all 86 tensors match by name and shape/);
    expect(text).toMatch(/\n {2}tensor +dtype {2}shape +bytes\n {2}cls_token +F32 {4}\[1, 1, 96\] +384\n/);
    expect(text).toMatch(/86 tensors, \d+ bytes of data$/);
  });

  it("finds a checkpoint whose tensors do not fit its metadata", async () => {
    const bytes = readFileSync("src/checkpoints/mae-tiny.safetensors");
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString("utf8")) as Record<string, { shape: number[] } | Record<string, string>>;
    const meta = JSON.parse((header.__metadata__ as Record<string, string>).maskau) as { config: Record<string, unknown> };
    meta.config.depth = 5; // the file holds 4 blocks
    const tensors = new Map<string, TensorToWrite>();
    for (const [name, t] of Object.entries(header)) if (name !== "__metadata__") tensors.set(name, { dtype: "F32", shape: (t as { shape: number[] }).shape, data: new Float32Array((t as { shape: number[] }).shape.reduce((a, d) => a * d, 1)) });
    const path = join(dir, "deeper.safetensors");
    writeFileSync(path, writeSafetensors(tensors, { maskau: JSON.stringify(meta) }));
    const report = await inspectFile(path);
    expect(report.fit.fits).toBe(false);
    expect(report.fit.comparison!.missing).toContain("blocks.4.attn.qkv.weight");
    expect(report.fit.detail).toMatch(/86\/98 tensors match; missing blocks\.4\./);
  });

  it("shows a reference fixture with its sidecar's kind, name and roles", async () => {
    const { code, stdout } = await cli(fixturePath("mae_tiny.safetensors"));
    expect(code).toBe(0);
    expect(stdout).toMatch(/mae_tiny\.safetensors: reference fixture, 85 tensors/);
    expect(stdout).toMatch(/sidecar {5}mae_tiny\.json: kind mae, name mae_tiny/);
    expect(stdout).toMatch(/roles {7}.*weight 50/);
    expect(stdout).toMatch(/fits {8}yes \(from the sidecar\): its weights against the MAE built from the sidecar's config: all 50 tensors match/);
    expect(stdout).toMatch(/\n {2}output\.pred +F32 +\[2, 16, 192\] +\d+ +output\n/);
  });

  it("guesses the model of files without metadata from their names", async () => {
    const official = await inspectFile(fileOf("mae_official.safetensors", maeLayout(MAE_PRESETS.tiny).map((e) => [e.name, e.shape])));
    expect(official.fit).toMatchObject({ model: "mae", basis: "names", fits: true });
    expect(official.fit.detail).toMatch(/official MAE names: the tiny preset, all 86 tensors match/);
    const encoder = await inspectFile(fileOf("dp.safetensors", [["module.cls_token", [1, 1, 8]], ["module.pos_embed", [1, 5, 8]], ["module.blocks.0.attn.qkv.weight", [24, 8]]]));
    expect(encoder.fit.detail).toMatch(/official MAE names, no MAE preset matches exactly .*"module\." prefix/);
    const hf = await inspectFile(fileOf("hf.safetensors", [["vit.embeddings.cls_token", [1, 1, 8]], ["vit.encoder.layer.0.attention.attention.query.weight", [8, 8]]]));
    expect(hf.fit.detail).toMatch(/Hugging Face ViTMAE names/);
    const resnet: [string, number[]][] = [["conv1.weight", [1]], ["fc.weight", [1]]];
    for (let s = 1; s <= 4; s++) for (let b = 0; b < 2; b++) resnet.push([`layer${s}.${b}.conv1.weight`, [1]]);
    expect((await inspectFile(fileOf("r18.safetensors", resnet))).fit.detail).toMatch(/torchvision ResNet names: 4 stages of \[2,2,2,2\] basic blocks \(resnet18\), with its classifier/);
    copyFileSync(fixturePath("megraphau_mefl.safetensors"), join(dir, "mefl.safetensors")); // no sidecar beside it
    const mefl = await inspectFile(join(dir, "mefl.safetensors"));
    expect(mefl.kind).toBe("safetensors");
    expect(mefl.fit).toMatchObject({ model: "megraphau-mefl", fits: null });
    expect(mefl.fit.detail).toMatch(/ME-GraphAU names: the MEFL head with no backbone/);
    expect((await inspectFile(fileOf("other.safetensors", [["w", [2]]]))).fit.detail).toMatch(/no naming scheme MaskAU knows/);
  });

  it("a student checkpoint fits the student its metadata describes, alignment (align.*) included; a missing align tensor is named", async () => {
    await useBackend("cpu");
    const cfg = studentConfig("mae-tiny", { numClasses: 12 });
    const student = createStudent(cfg, { seed: 1 });
    const state = await student.stateDict();
    student.dispose();
    const meta = { model: studentModelKind(), modelName: "student/mae-tiny", config: { detector: cfg, preset: "mae-tiny" } };
    const path = join(dir, "student.safetensors");
    writeFileSync(path, encodeCheckpoint(state, meta));
    // The layout inspect compares with holds the alignment, between the encoder and the head.
    const layout = await detectorLayout(cfg);
    const names = layout.map((e) => e.name);
    expect(names).toEqual([...state.keys()]);
    const aligned = alignLayout(cfg.backbone.align, cfg.backbone.mae.embedDim);
    expect(layout.filter((e) => e.name.startsWith("align."))).toEqual(aligned);
    expect(names.indexOf("align.fc1.weight")).toBeGreaterThan(names.lastIndexOf("backbone.norm.bias"));
    expect(names.indexOf("align.fc2.bias")).toBeLessThan(names.indexOf("global_linear.fc.weight"));

    const { code, stdout } = await cli("--json", path);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as InspectReport;
    expect(report.maskau!.model).toBe("student");
    expect(report.fit).toMatchObject({ model: "student", basis: "metadata", fits: true });
    expect(report.fit.detail).toMatch(/the student \(MAE encoder, alignment to 4x4x64, MEFL head\) built from the metadata's config: all \d+ tensors match/);
    expect(report.fit.comparison).toMatchObject({ expected: state.size, matched: state.size, missing: [], unexpected: [] });

    // Without align.fc2.bias the file does not fit, and the report says which tensor is missing.
    const partial = new Map([...state].filter(([n]) => n !== "align.fc2.bias"));
    const partialPath = join(dir, "student-partial.safetensors");
    writeFileSync(partialPath, encodeCheckpoint(partial, meta));
    const bad = await inspectFile(partialPath);
    expect(bad.fit.fits).toBe(false);
    expect(bad.fit.comparison!.missing).toEqual(["align.fc2.bias"]);
    expect(formatReport(bad)).toMatch(/fits {8}NO .*missing align\.fc2\.bias/);

    // A student's tensors without metadata are told apart from a plain ME-GraphAU by align.*.
    const bare = await inspectFile(fileOf("student-bare.safetensors", layout.map((e) => [e.name, e.shape])));
    expect(bare.fit).toMatchObject({ model: "student", basis: "names", fits: null });
    expect(bare.fit.detail).toMatch(/MaskAU student names: an MAE-encoder backbone, the feature alignment \(align\.\*\) and the MEFL head/);
  });

  it("notes a .json beside the file that is not its sidecar, and still lists the file", async () => {
    const path = fileOf("weights.safetensors", [["w", [2]]]);
    writeFileSync(join(dir, "weights.json"), JSON.stringify({ kind: "mae", config: {}, tensors: { x: { role: "weight", dtype: "F32", shape: [1] } } }));
    const report = await inspectFile(path);
    expect(report.kind).toBe("safetensors");
    expect(report.sidecarProblem).toMatch(/weights\.json: the sidecar lists "x" but the safetensors file has no such tensor/);
  });

  it("bad files: one message naming the file and the problem, exit 1, no stack trace", async () => {
    const good = readFileSync("src/checkpoints/mae-tiny.safetensors");
    writeFileSync(join(dir, "truncated.safetensors"), good.subarray(0, 200_000));
    writeFileSync(join(dir, "short-header.safetensors"), good.subarray(0, 1000));
    writeFileSync(join(dir, "notes.safetensors"), "these are notes, not tensors\n");
    writeFileSync(join(dir, "empty.safetensors"), "");
    mkdirSync(join(dir, "folder.safetensors"));
    const cases: [string, RegExp][] = [
      ["truncated.safetensors", /truncated\.safetensors: tensor "\S+" ends at byte \d+ of a \d+-byte data buffer \(truncated file\)/],
      ["short-header.safetensors", /short-header\.safetensors: header length \d+ runs past the end of the 1000-byte file/],
      ["notes.safetensors", /notes\.safetensors: header length \d+ exceeds 100000000 bytes \(corrupt file or not safetensors\)/],
      ["empty.safetensors", /empty\.safetensors: file is 0 bytes, shorter than the 8-byte header length/],
      ["folder.safetensors", /folder\.safetensors is a directory, not a safetensors file/],
      ["missing.safetensors", /missing\.safetensors: no such file/],
    ];
    const results = await Promise.all(cases.map(([name]) => cli(join(dir, name))));
    results.forEach((r, i) => {
      expect(r.code, cases[i][0]).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(new RegExp(`^maskau: ${dir}/${cases[i][1].source}[^\\n]*\\n$`));
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  });

  it("a large file is listed from its header, and a large file with a bad header fails at once", async () => {
    const header = new TextEncoder().encode(JSON.stringify({ big: { dtype: "F32", shape: [1024, 1024, 1024], data_offsets: [0, 4 * 1024 ** 3] } }));
    const path = join(dir, "big.safetensors");
    const fd = openSync(path, "w");
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(header.length));
    writeSync(fd, prefix);
    writeSync(fd, header);
    closeSync(fd);
    truncateSync(path, 8 + header.length + 4 * 1024 ** 3); // 4 GiB, sparse: never read
    let start = performance.now();
    const report = await inspectFile(path);
    expect(performance.now() - start).toBeLessThan(500);
    expect(report.tensors).toEqual([{ name: "big", dtype: "F32", shape: [1024, 1024, 1024], bytes: 4 * 1024 ** 3 }]);
    truncateSync(path, 8 + header.length + 4 * 1024 ** 3 - 1);
    start = performance.now();
    await expect(inspectFile(path)).rejects.toThrow(/big\.safetensors: tensor "big" ends at byte 4294967296 of a 4294967295-byte data buffer/);
    expect(performance.now() - start).toBeLessThan(500);
  });
});

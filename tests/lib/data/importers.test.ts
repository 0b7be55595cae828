import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { imageAt, validateDataset, type AUDataset } from "../../../src/lib/data/dataset.js";
import { exportMeGraphAU, exportPaths } from "../../../src/lib/data/export-megraphau.js";
import { memoryFileSink, memoryFileSource, type MemoryFile } from "../../../src/lib/data/files.js";
import { nodeFileSink, nodeFileSource } from "../../../src/lib/data/files-node.js";
import { generateFaceDataset } from "../../../src/lib/data/generate.js";
import { fnv1a64 } from "../../../src/lib/data/hash.js";
import { decodeImage, encodeJpegRGB, encodePngRGB } from "../../../src/lib/data/image-codec.js";
import { parseCsv } from "../../../src/lib/data/csv.js";
import { importCsv } from "../../../src/lib/data/import-csv.js";
import { DataImportError } from "../../../src/lib/data/import-error.js";
import { importMeGraphAU } from "../../../src/lib/data/import-megraphau.js";
import { encode as encodePng } from "fast-png";

const size = 20;
let ds: AUDataset;
let exported: Map<string, Uint8Array>;

beforeAll(async () => {
  ds = generateFaceDataset({ preset: "bp4d", subjects: 6, sequencesPerSubject: 2, framesPerSequence: 2, size, seed: 21 });
  const sink = memoryFileSink();
  await exportMeGraphAU(ds, sink);
  exported = sink.files;
});

/** The exported files with some replaced (string/bytes) or removed (undefined). */
function files(changes: Record<string, MemoryFile | undefined> = {}) {
  const m = new Map<string, MemoryFile>(exported);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) m.delete(k);
    else m.set(k, v);
  }
  return memoryFileSource(m);
}
const text = (path: string) => new TextDecoder().decode(exported.get(path)!);

/** Runs an import expected to fail and returns its problems. */
async function problemsOf(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DataImportError);
    return (e as DataImportError).problems;
  }
  throw new Error("the import was expected to fail");
}

function sameFrames(a: AUDataset, b: AUDataset) {
  // Match frames by image path ("img/F001/T1/0000.png" vs "F001/T1/0000.png").
  const key = (p: string) => p.replace(/^img\//, "");
  const index = new Map(b.paths!.map((p, i) => [key(p), i]));
  expect(b.subject.length).toBe(a.subject.length);
  const A = a.aus.length;
  a.paths!.forEach((p, i) => {
    const j = index.get(key(p))!;
    expect(j).toBeDefined();
    expect(Buffer.from(imageAt(a, i)).equals(Buffer.from(imageAt(b, j)))).toBe(true);
    expect(Array.from(a.labels.subarray(i * A, (i + 1) * A))).toEqual(Array.from(b.labels.subarray(j * A, (j + 1) * A)));
    expect(a.subjects[a.subject[i]]).toBe(b.subjects[b.subject[j]]);
    expect(a.fold[i]).toBe(b.fold[j]);
  });
}

describe("generate -> export -> import round trip", () => {
  it("reads the ME-GraphAU lists back to the same images, labels, subjects and folds", async () => {
    const back = await importMeGraphAU(files(), { dataset: "BP4D", size });
    validateDataset(back);
    expect(back.aus).toEqual(ds.aus);
    expect(back.intensities).toBeNull();
    expect(back.occurrenceThreshold).toBeNull();
    sameFrames({ ...ds, paths: exportPaths(ds) }, back);
    // Frames of one sequence share a sequence id; frame numbers come from the file names.
    const i = back.paths!.indexOf(exportPaths(ds)[1]);
    expect(back.frame[i]).toBe(1);
    expect(back.sequence[i]).toBe(back.sequence[back.paths!.indexOf(exportPaths(ds)[0])]);
  });

  it("reads labels.csv back with intensities, and agrees with the list import frame by frame", async () => {
    const lists = await importMeGraphAU(files(), { dataset: "BP4D", size });
    const csv = await importCsv(files(), { file: "labels.csv", preset: "bp4d", size });
    validateDataset(csv);
    expect(csv.intensities).not.toBeNull();
    expect(csv.occurrenceThreshold).toBe(1);
    expect(fnv1a64(csv.intensities!)).toBe(fnv1a64(ds.intensities!));
    expect(fnv1a64(csv.labels)).toBe(fnv1a64(ds.labels));
    expect(fnv1a64(csv.images)).toBe(fnv1a64(ds.images));
    sameFrames(csv, lists);
  });

  it("writes and reads real files through the Node file system", async () => {
    const dir = await mkdtemp(join(tmpdir(), "maskau-export-"));
    try {
      const small = generateFaceDataset({ preset: "disfa", subjects: 3, framesPerSequence: 2, size: 16, seed: 2 });
      await exportMeGraphAU(small, nodeFileSink(dir));
      const back = await importMeGraphAU(nodeFileSource(dir), { dataset: "DISFA", size: 16 });
      expect(back.aus).toEqual([1, 2, 4, 6, 9, 12, 25, 26]);
      sameFrames({ ...small, paths: exportPaths(small) }, back);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("image decoding", () => {
  it("expands grayscale and resizes images of another size", async () => {
    const gray = new Uint8Array(40 * 40).fill(90);
    const png = encodePng({ width: 40, height: 40, data: gray, channels: 1, depth: 8 });
    const img = decodeImage(png);
    expect([img.width, img.height]).toEqual([40, 40]);
    expect(Array.from(img.data.subarray(0, 3))).toEqual([90, 90, 90]);
    const path = "img/" + text("list/BP4D_test_img_path_fold1.txt").split("\n")[0];
    const back = await importMeGraphAU(files({ [path]: png }), { dataset: "BP4D", size });
    const i = back.paths!.indexOf(path.slice(4));
    expect(imageAt(back, i).every((v) => v === 90)).toBe(true);
  });

  it("decodes JPEG (lossy, close to the source)", () => {
    const rgb = new Uint8Array(16 * 16 * 3).map((_, i) => (i % 3 === 0 ? 200 : 60));
    const img = decodeImage(encodeJpegRGB(rgb, 16, 16, 95));
    let err = 0;
    for (let i = 0; i < rgb.length; i++) err = Math.max(err, Math.abs(img.data[i] - rgb[i]));
    expect(err).toBeLessThan(20);
    expect(() => decodeImage(new Uint8Array([1, 2, 3, 4]), "x.bin")).toThrow(/x\.bin: not a PNG or JPEG/);
    expect(() => decodeImage(encodePngRGB(rgb, 16, 16).slice(0, 30), "cut.png")).toThrow(/cut\.png/);
  });
});

describe("ME-GraphAU importer errors", () => {
  const pathFile = "list/BP4D_test_img_path_fold2.txt";
  const labelFile = "list/BP4D_test_label_fold2.txt";

  it("names a missing image with its list file and line", async () => {
    const second = text(pathFile).split("\n")[1];
    const p = await problemsOf(importMeGraphAU(files({ ["img/" + second]: undefined }), { dataset: "BP4D", size }));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ file: pathFile, line: 2 });
    expect(p[0].problem).toMatch(/image not found/);
  });

  it("rejects a label line with the wrong number of columns", async () => {
    const lines = text(labelFile).split("\n");
    lines[2] = lines[2].split(" ").slice(1).join(" ");
    const p = await problemsOf(importMeGraphAU(files({ [labelFile]: lines.join("\n") }), { dataset: "BP4D", size }));
    expect(p[0]).toMatchObject({ file: labelFile, line: 3 });
    expect(p[0].problem).toMatch(/expected 12 AU labels, found 11/);
  });

  it("rejects a label that is not 0/1", async () => {
    const lines = text(labelFile).split("\n");
    lines[0] = "2" + lines[0].slice(1);
    const p = await problemsOf(importMeGraphAU(files({ [labelFile]: lines.join("\n") }), { dataset: "BP4D", size }));
    expect(p[0]).toMatchObject({ file: labelFile, line: 1 });
    expect(p[0].problem).toMatch(/"2" in column 1 is not 0 or 1/);
  });

  it("rejects a subject in two folds", async () => {
    // Move the first image of fold 1 (with its label) into fold 2's lists.
    const p1 = text("list/BP4D_test_img_path_fold1.txt").split("\n");
    const l1 = text("list/BP4D_test_label_fold1.txt").split("\n");
    const p = await problemsOf(
      importMeGraphAU(
        files({
          "list/BP4D_test_img_path_fold1.txt": p1.slice(1).join("\n"),
          "list/BP4D_test_label_fold1.txt": l1.slice(1).join("\n"),
          [pathFile]: text(pathFile) + p1[0] + "\n",
          [labelFile]: text(labelFile) + l1[0] + "\n",
          // The train lists no longer match either; drop them to isolate the fold error.
          ...Object.fromEntries([1, 2, 3].flatMap((k) => [[`list/BP4D_train_img_path_fold${k}.txt`, undefined], [`list/BP4D_train_label_fold${k}.txt`, undefined]])),
        }),
        { dataset: "BP4D", size },
      ),
    );
    expect(p).toHaveLength(1);
    expect(p[0].file).toBe(pathFile);
    expect(p[0].line).toBe(text(pathFile).split("\n").length);
    expect(p[0].problem).toMatch(/subject \S+ is in fold 2 and also in fold 1 .*subject-exclusive/);
  });

  it("rejects an unknown AU and a missing list file, and checks train lists", async () => {
    let p = await problemsOf(importMeGraphAU(files(), { dataset: "BP4D", size, aus: [1, 2, 4, 6, 7, 10, 12, 14, 15, 17, 23, 99] }));
    expect(p[0].problem).toMatch(/unknown AU AU99/);
    p = await problemsOf(importMeGraphAU(files({ "list/BP4D_test_label_fold3.txt": undefined }), { dataset: "BP4D", size }));
    expect(p[0]).toMatchObject({ file: "list/BP4D_test_label_fold3.txt" });
    expect(p[0].problem).toMatch(/list file not found/);
    const testPath = text("list/BP4D_test_img_path_fold1.txt").split("\n")[0];
    p = await problemsOf(importMeGraphAU(files({ "list/BP4D_train_img_path_fold1.txt": testPath + "\n" + text("list/BP4D_train_img_path_fold1.txt") }), { dataset: "BP4D", size }));
    expect(p.some((q) => q.file === "list/BP4D_train_img_path_fold1.txt" && q.line === 1 && /also a test image of fold 1/.test(q.problem))).toBe(true);
    await expect(importMeGraphAU(files(), { dataset: "MYSET", size })).rejects.toThrow(/no AU list for dataset "MYSET"/);
  });
});

describe("CSV importer errors", () => {
  const csv = () => text("labels.csv").split("\n");
  /** labels.csv reduced to path, subject and AU1/AU2/AU12 as occurrence 0/1. */
  const occurrenceCsv = () => {
    const rows = csv().filter((l) => l.length > 0).map((l) => l.split(","));
    const cols = ["AU1", "AU2", "AU12"].map((n) => rows[0].indexOf(n));
    return rows.map((r, i) => (i === 0 ? ["path", "subject", "AU1", "AU2", "AU12"] : [r[0], r[1], ...cols.map((c) => (r[c] === "0" ? "0" : "1"))]));
  };

  it("names a missing image with the CSV line", async () => {
    const row = csv()[3].split(",");
    const p = await problemsOf(importCsv(files({ [row[0]]: undefined }), { file: "labels.csv", size }));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ file: "labels.csv", line: 4 });
    expect(p[0].problem).toMatch(/image not found/);
  });

  it("rejects rows with the wrong number of columns", async () => {
    const lines = csv();
    lines[5] = lines[5] + ",7";
    const p = await problemsOf(importCsv(files({ "labels.csv": lines.join("\n") }), { file: "labels.csv", size }));
    expect(p[0]).toMatchObject({ line: 6 });
    expect(p[0].problem).toMatch(/wrong number of columns: the header has 17, this row has 18/);
  });

  it("rejects labels that are not 0/1 (occurrence) or not intensities 0-5", async () => {
    const lines = csv();
    const cells = lines[1].split(",");
    cells[5] = "x";
    lines[1] = cells.join(",");
    let p = await problemsOf(importCsv(files({ "labels.csv": lines.join("\n") }), { file: "labels.csv", size }));
    expect(p[0]).toMatchObject({ line: 2 });
    expect(p[0].problem).toMatch(/AU1 value "x"/);
    const occ = occurrenceCsv();
    occ[2][3] = "3";
    p = await problemsOf(importCsv(files({ "occ.csv": occ.map((r) => r.join(",")).join("\n") }), { file: "occ.csv", size, values: "occurrence" }));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ file: "occ.csv", line: 3 });
    expect(p[0].problem).toMatch(/AU2 value "3" is not 0 or 1/);
  });

  it("rejects a subject in two folds", async () => {
    const lines = csv();
    const cells = lines[1].split(",");
    cells[4] = String((Number(cells[4]) % 3) + 1);
    lines[1] = cells.join(",");
    const p = await problemsOf(importCsv(files({ "labels.csv": lines.join("\n") }), { file: "labels.csv", size }));
    expect(p.length).toBeGreaterThanOrEqual(1);
    expect(p[0].problem).toMatch(/subject-exclusive/);
    expect(p[0].file).toBe("labels.csv");
  });

  it("rejects unknown AU columns and AUs that are asked for but absent", async () => {
    const lines = csv();
    lines[0] = lines[0].replace("AU24", "AU99");
    let p = await problemsOf(importCsv(files({ "labels.csv": lines.join("\n") }), { file: "labels.csv", size }));
    expect(p[0]).toMatchObject({ line: 1 });
    expect(p[0].problem).toMatch(/unknown AU column "AU99"/);
    p = await problemsOf(importCsv(files(), { file: "labels.csv", size, aus: [1, 9] }));
    expect(p[0].problem).toMatch(/AU9 was asked for but there is no AU9 column/);
    p = await problemsOf(importCsv(files(), { file: "missing.csv", size }));
    expect(p[0].problem).toMatch(/CSV file not found/);
    const noPath = csv();
    noPath[0] = noPath[0].replace(/^path/, "file");
    p = await problemsOf(importCsv(files({ "labels.csv": noPath.join("\n") }), { file: "labels.csv", size }));
    expect(p[0].problem).toMatch(/no "path" column/);
  });

  it("assigns subject-exclusive folds when there is no fold column and reads occurrence data", async () => {
    const out = occurrenceCsv().map((r) => r.join(","));
    const back = await importCsv(files({ "occ.csv": out.join("\r\n") + "\r\n" }), { file: "occ.csv", size, seed: 5 });
    expect(back.aus).toEqual([1, 2, 12]);
    expect(back.intensities).toBeNull();
    const perSubject = new Map<number, number>();
    for (let i = 0; i < back.subject.length; i++) {
      const f = perSubject.get(back.subject[i]);
      if (f !== undefined) expect(back.fold[i]).toBe(f);
      perSubject.set(back.subject[i], back.fold[i]);
    }
    expect(new Set(perSubject.values()).size).toBe(3);
  });
});

// Bugs found by fuzzing (tests/fuzz/importers.test.ts), one regression test each.
describe("importer fuzzing regressions", () => {
  const header = "path,subject,AU1,fold,frame";
  const png = () => encodePngRGB(new Uint8Array(4 * 4 * 3).fill(128), 4, 4);
  const source = (csv: string, subjects = ["A", "B", "C"]) =>
    memoryFileSource(new Map<string, MemoryFile>([["d/l.csv", csv], ...subjects.map((s, i) => [`d/${s}/${i}.png`, png()] as [string, MemoryFile])]));
  const rows = (cells: (s: string, i: number) => string[]) => ["A", "B", "C"].map((s, i) => cells(s, i).join(","));

  it("a blank fold or frame cell is refused (it read as 0: fold 0 made every fold 0-based)", async () => {
    const csv = [header, ...rows((s, i) => [`${s}/${i}.png`, s, "1", i === 1 ? " " : String(i + 1), String(i)])].join("\n");
    let p = await problemsOf(importCsv(source(csv), { file: "d/l.csv", size: 4 }));
    expect(p).toEqual([{ file: "d/l.csv", line: 3, problem: 'fold "" is not a fold number 1..3' }]);
    const blankFrame = [header, ...rows((s, i) => [`${s}/${i}.png`, s, "1", String(i + 1), i === 2 ? "" : String(i)])].join("\n");
    p = await problemsOf(importCsv(source(blankFrame), { file: "d/l.csv", size: 4 }));
    expect(p).toEqual([{ file: "d/l.csv", line: 4, problem: 'frame "" is not an integer frame number' }]);
  });

  it("a frame number outside int32 is refused (it wrapped around)", async () => {
    const csv = [header, ...rows((s, i) => [`${s}/${i}.png`, s, "1", String(i + 1), i === 0 ? "4294967297" : String(i)])].join("\n");
    const p = await problemsOf(importCsv(source(csv), { file: "d/l.csv", size: 4 }));
    expect(p[0]).toMatchObject({ line: 2, problem: 'frame "4294967297" is not an integer frame number' });
  });

  it("fewer subjects than folds without a fold column is a DataImportError (it was a plain Error from the fold split)", async () => {
    const csv = ["path,subject,AU1", "A/0.png,A,1", "B/1.png,B,0"].join("\n");
    const p = await problemsOf(importCsv(source(csv, ["A", "B"]), { file: "d/l.csv", size: 4 }));
    expect(p).toEqual([{ file: "d/l.csv", line: undefined, problem: '2 subjects cannot fill 3 subject-exclusive folds: add a "fold" column or ask for fewer folds' }]);
  });

  it("an image whose header claims a huge size is refused at once (a flipped bit in a PNG's width took seconds)", () => {
    const png = encodePngRGB(new Uint8Array(4 * 4 * 3), 4, 4);
    png[16] ^= 4; // width 4 -> 67108868
    const start = performance.now();
    expect(() => decodeImage(png, "F001/1.png")).toThrow(/^F001\/1\.png: the PNG header says 67108868x4 pixels, more than MaskAU decodes/);
    expect(performance.now() - start).toBeLessThan(50);
  });

  it("parseCsv keeps a last record of empty fields without a final line break, as with one", () => {
    expect(parseCsv("a,b\n,").map((r) => r.fields)).toEqual([["a", "b"], ["", ""]]);
    expect(parseCsv("a,b\n,\n").map((r) => r.fields)).toEqual([["a", "b"], ["", ""]]);
    expect(parseCsv('a\n""').map((r) => r.fields)).toEqual([["a"], [""]]);
    expect(parseCsv("a\n\n")).toHaveLength(1);
  });

  it("parseCsv counts a lone CR inside a quoted field as a line break, as it does outside", () => {
    expect(parseCsv('"x\ry",1\nz,2').map((r) => r.line)).toEqual([1, 3]);
    expect(parseCsv('"x\r\ny",1\nz,2').map((r) => r.line)).toEqual([1, 3]);
    expect(parseCsv("x\ry\nz").map((r) => r.line)).toEqual([1, 2, 3]);
  });
});

// Importer for ME-GraphAU's list format, as its data preparation scripts write
// it for BP4D and DISFA. Per fold k (1-based):
//   <DS>_test_img_path_fold<k>.txt   one image path per line, relative to the image folder
//   <DS>_test_label_fold<k>.txt      the matching labels: space-separated 0/1, one per AU,
//                                    in the dataset's AU order
//   <DS>_train_img_path_fold<k>.txt  (optional) the training frames of fold k, i.e. the
//   <DS>_train_label_fold<k>.txt      test frames of the other folds; checked when present
// Subjects come from the first directory of each path (BP4D "F001/T1/2440.jpg",
// DISFA "SN001/0.png") unless a `subjectOf` function says otherwise.
import { PRESETS, isFacsAU } from "./aus.js";
import type { AUDataset } from "./dataset.js";
import { joinPath, type FileSource } from "./files.js";
import { ProblemList } from "./import-error.js";
import { loadImages, sequenceAndFrame, subjectFromPath, type ImageRef } from "./import-images.js";
import type { ResizeMethod } from "./resize.js";

export interface MeGraphAUImportOptions {
  /** Dataset name used in the list file names: "BP4D", "DISFA", or another. */
  dataset: string;
  /** Folder (within the source) holding the list files. Default "list". */
  listDir?: string;
  /** Folder the image paths are relative to. Default "img". */
  imageDir?: string;
  /** AU numbers in label-column order. Default: BP4D's 12 or DISFA's 8 by dataset name. */
  aus?: number[];
  /** Number of folds. Default 3. */
  folds?: number;
  /** Output image side. Default 64. */
  size?: number;
  resize?: ResizeMethod;
  /** Subject of an image path. Default: its first directory. */
  subjectOf?: (path: string) => string;
  onProgress?: (done: number, total: number) => void;
}

export function listFileName(dataset: string, split: "train" | "test", kind: "img_path" | "label", fold: number): string {
  return `${dataset}_${split}_${kind}_fold${fold}.txt`;
}

/** Non-empty lines with their 1-based line numbers. */
function lines(text: string): { line: number; text: string }[] {
  return text
    .split(/\r?\n/)
    .map((t, i) => ({ line: i + 1, text: t.trim() }))
    .filter((l) => l.text.length > 0);
}

/** Parses one label line; reports and returns null on a bad line. */
function parseLabelLine(text: string, A: number, file: string, line: number, problems: ProblemList): number[] | null {
  const tokens = text.split(/[\s,]+/).filter((t) => t.length > 0);
  if (tokens.length !== A) {
    problems.add(file, line, `wrong number of columns: expected ${A} AU labels, found ${tokens.length}`);
    return null;
  }
  const out: number[] = [];
  for (let a = 0; a < A; a++) {
    const v = Number(tokens[a]);
    if (tokens[a] === "" || !(v === 0 || v === 1)) {
      problems.add(file, line, `label "${tokens[a]}" in column ${a + 1} is not 0 or 1`);
      return null;
    }
    out.push(v);
  }
  return out;
}

function defaultAUs(dataset: string): number[] | undefined {
  const p = Object.values(PRESETS).find((x) => x.listName.toLowerCase() === dataset.toLowerCase());
  return p?.aus.slice();
}

export async function importMeGraphAU(source: FileSource, options: MeGraphAUImportOptions): Promise<AUDataset> {
  const listDir = options.listDir ?? "list";
  const imageDir = options.imageDir ?? "img";
  const folds = options.folds ?? 3;
  const size = options.size ?? 64;
  const subjectOf = options.subjectOf ?? subjectFromPath;
  const problems = new ProblemList();
  const aus = options.aus ?? defaultAUs(options.dataset);
  if (!aus) {
    throw new Error(`no AU list for dataset "${options.dataset}": pass aus (the AU numbers in label-column order), e.g. [1, 2, 4, 6, 12]`);
  }
  const badAUs = aus.filter((au) => !isFacsAU(au));
  if (badAUs.length > 0) {
    problems.add("options.aus", undefined, `unknown AU${badAUs.length > 1 ? "s" : ""} ${badAUs.map((a) => `AU${a}`).join(", ")}: not a FACS action unit`);
    problems.throwIfAny();
  }
  const A = aus.length;

  interface Row { path: string; labels: number[]; fold: number; file: string; line: number }
  const rows: Row[] = [];
  const byPath = new Map<string, Row>();
  const subjectFold = new Map<string, { fold: number; file: string; line: number }>();

  const readList = async (file: string): Promise<{ line: number; text: string }[] | null> => {
    const full = joinPath(listDir, file);
    if (!(await source.exists(full))) {
      problems.add(full, undefined, `list file not found in ${source.label}`);
      return null;
    }
    return lines(await source.readText(full));
  };

  for (let k = 1; k <= folds; k++) {
    const pathFile = joinPath(listDir, listFileName(options.dataset, "test", "img_path", k));
    const labelFile = joinPath(listDir, listFileName(options.dataset, "test", "label", k));
    const paths = await readList(listFileName(options.dataset, "test", "img_path", k));
    const labels = await readList(listFileName(options.dataset, "test", "label", k));
    if (!paths || !labels) continue;
    if (paths.length !== labels.length) {
      problems.add(labelFile, undefined, `has ${labels.length} label lines but ${pathFile} lists ${paths.length} images`);
    }
    for (let j = 0; j < Math.min(paths.length, labels.length); j++) {
      const p = paths[j];
      const lab = parseLabelLine(labels[j].text, A, labelFile, labels[j].line, problems);
      const path = joinPath(p.text);
      const prev = byPath.get(path);
      if (prev) {
        problems.add(pathFile, p.line, `image ${path} is already listed in ${prev.file}:${prev.line}`);
        continue;
      }
      const subject = subjectOf(path);
      if (!subject) {
        problems.add(pathFile, p.line, `cannot tell the subject of "${path}": expected a subject folder first (e.g. F001/T1/1.jpg)`);
        continue;
      }
      const seen = subjectFold.get(subject);
      if (seen && seen.fold !== k) {
        problems.add(pathFile, p.line, `subject ${subject} is in fold ${k} and also in fold ${seen.fold} (${seen.file}:${seen.line}): folds must be subject-exclusive`);
        continue;
      }
      if (!seen) subjectFold.set(subject, { fold: k, file: pathFile, line: p.line });
      if (!lab) continue;
      const row = { path, labels: lab, fold: k, file: pathFile, line: p.line };
      rows.push(row);
      byPath.set(path, row);
    }
  }

  // Optional train lists: fold k trains on exactly the test frames of the other folds.
  for (let k = 1; k <= folds; k++) {
    const pathName = listFileName(options.dataset, "train", "img_path", k);
    const pathFile = joinPath(listDir, pathName);
    if (!(await source.exists(pathFile))) continue;
    const labelFile = joinPath(listDir, listFileName(options.dataset, "train", "label", k));
    const paths = lines(await source.readText(pathFile));
    const labels = (await source.exists(labelFile)) ? lines(await source.readText(labelFile)) : null;
    if (labels && labels.length !== paths.length) {
      problems.add(labelFile, undefined, `has ${labels.length} label lines but ${pathFile} lists ${paths.length} images`);
    }
    paths.forEach((p, j) => {
      const row = byPath.get(joinPath(p.text));
      if (!row) {
        problems.add(pathFile, p.line, `training image ${p.text} is in no test list`);
      } else if (row.fold === k) {
        problems.add(pathFile, p.line, `training image ${p.text} is also a test image of fold ${k}`);
      } else if (labels && labels[j]) {
        const lab = parseLabelLine(labels[j].text, A, labelFile, labels[j].line, problems);
        if (lab && lab.some((v, a) => v !== row.labels[a])) {
          problems.add(labelFile, labels[j].line, `labels of ${p.text} differ from its test labels (listed at ${row.file}:${row.line})`);
        }
      }
    });
  }
  if (rows.length === 0 && problems.count === 0) problems.add(listDir, undefined, "the test lists contain no images");
  problems.throwIfAny();

  const refs: ImageRef[] = rows.map((r) => ({ path: r.path, listedIn: r.file, line: r.line }));
  const images = await loadImages(source, refs, problems, { imageDir, size, resize: options.resize, onProgress: options.onProgress });
  problems.throwIfAny();

  const subjects = [...new Set(rows.map((r) => subjectOf(r.path)))].sort();
  const subjectIndex = new Map(subjects.map((s, i) => [s, i]));
  const n = rows.length;
  const labels = new Uint8Array(n * A);
  rows.forEach((r, i) => labels.set(r.labels, i * A));
  const { sequence, frame } = sequenceAndFrame(rows.map((r) => r.path));
  return {
    name: options.dataset,
    size,
    images,
    aus: aus.slice(),
    labels,
    intensities: null,
    occurrenceThreshold: null,
    subjects,
    subject: Int32Array.from(rows.map((r) => subjectIndex.get(subjectOf(r.path))!)),
    sequence,
    frame,
    fold: Int8Array.from(rows.map((r) => r.fold - 1)),
    folds,
    paths: rows.map((r) => r.path),
    source: { kind: "megraphau", config: { dataset: options.dataset, listDir, imageDir, aus, folds, size, source: source.label } },
  };
}

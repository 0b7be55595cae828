// Writes a dataset as image files plus ME-GraphAU list files (read back by
// import-megraphau.ts) and a labels CSV with intensities (read back by
// import-csv.ts):
//   <imageDir>/<subject>/T<k>/<frame>.png
//   <listDir>/<DS>_{train,test}_{img_path,label}_fold<k>.txt
//   labels.csv   path,subject,sequence,frame,fold,AU1,...  (intensities when known, else 0/1)
import { csvField } from "./csv.js";
import { imageAt, type AUDataset } from "./dataset.js";
import { joinPath, type FileSink } from "./files.js";
import { encodePngRGB } from "./image-codec.js";
import { listFileName } from "./import-megraphau.js";

export interface ExportOptions {
  /** Name used in list file names. Default: the dataset's name upper-cased without "synthetic-". */
  listName?: string;
  imageDir?: string;
  listDir?: string;
  /** Also write labels.csv. Default true. */
  csv?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** Relative image paths for a dataset's frames: <subject>/T<sequence within subject>/<frame>.png. */
export function exportPaths(ds: AUDataset): string[] {
  if (ds.paths) return ds.paths.map((p) => p.replace(/\.(jpe?g|bmp)$/i, ".png"));
  const seqRank = new Map<number, number>();
  const perSubject = new Map<number, number>();
  return Array.from(ds.subject, (s, i) => {
    const q = ds.sequence[i];
    if (!seqRank.has(q)) {
      const r = perSubject.get(s) ?? 0;
      perSubject.set(s, r + 1);
      seqRank.set(q, r);
    }
    return `${ds.subjects[s]}/T${seqRank.get(q)! + 1}/${String(ds.frame[i]).padStart(4, "0")}.png`;
  });
}

export async function exportMeGraphAU(ds: AUDataset, sink: FileSink, options: ExportOptions = {}): Promise<{ listName: string; files: number }> {
  const listName = options.listName ?? ds.name.replace(/^synthetic-/, "").toUpperCase();
  const imageDir = options.imageDir ?? "img";
  const listDir = options.listDir ?? "list";
  const n = ds.subject.length;
  const A = ds.aus.length;
  const paths = exportPaths(ds);
  let files = 0;
  for (let i = 0; i < n; i++) {
    await sink.writeBytes(joinPath(imageDir, paths[i]), encodePngRGB(imageAt(ds, i), ds.size, ds.size));
    files++;
    if (options.onProgress && (i % 64 === 63 || i === n - 1)) options.onProgress(i + 1, n);
  }
  const labelLine = (i: number) => Array.from(ds.labels.subarray(i * A, (i + 1) * A)).join(" ");
  for (let k = 0; k < ds.folds; k++) {
    for (const split of ["train", "test"] as const) {
      const idx: number[] = [];
      for (let i = 0; i < n; i++) if ((ds.fold[i] === k) === (split === "test")) idx.push(i);
      await sink.writeText(joinPath(listDir, listFileName(listName, split, "img_path", k + 1)), idx.map((i) => paths[i] + "\n").join(""));
      await sink.writeText(joinPath(listDir, listFileName(listName, split, "label", k + 1)), idx.map((i) => labelLine(i) + "\n").join(""));
      files += 2;
    }
  }
  if (options.csv ?? true) {
    const values = ds.intensities ?? ds.labels;
    const head = ["path", "subject", "sequence", "frame", "fold", ...ds.aus.map((a) => `AU${a}`)].join(",");
    const rows = Array.from({ length: n }, (_, i) =>
      [csvField(joinPath(imageDir, paths[i])), csvField(ds.subjects[ds.subject[i]]), ds.sequence[i], ds.frame[i], ds.fold[i] + 1, ...values.subarray(i * A, (i + 1) * A)].join(","),
    );
    await sink.writeText("labels.csv", [head, ...rows].join("\n") + "\n");
    files++;
  }
  return { listName, files };
}

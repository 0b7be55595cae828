// Loading the images of an import: read, decode (PNG/JPEG), expand grayscale,
// resize to the dataset size, and record a problem (file, line) for each image
// that is missing or unreadable instead of stopping at the first.
import type { FileSource } from "./files.js";
import { joinPath } from "./files.js";
import { decodeImage } from "./image-codec.js";
import type { ProblemList } from "./import-error.js";
import { resizeRGB, type ResizeMethod } from "./resize.js";

export interface ImageRef {
  /** Path relative to the image directory. */
  path: string;
  /** File and line that named the image (for messages). */
  listedIn: string;
  line: number;
}

export interface LoadImagesOptions {
  imageDir: string;
  size: number;
  resize?: ResizeMethod;
  onProgress?: (done: number, total: number) => void;
}

/** Fills a [N, size, size, 3] buffer; problems are added to `problems`. */
export async function loadImages(source: FileSource, refs: ImageRef[], problems: ProblemList, options: LoadImagesOptions): Promise<Uint8Array> {
  const { size } = options;
  const ib = size * size * 3;
  const out = new Uint8Array(refs.length * ib);
  for (let i = 0; i < refs.length; i++) {
    const ref = refs[i];
    const full = joinPath(options.imageDir, ref.path);
    if (!(await source.exists(full))) {
      problems.add(ref.listedIn, ref.line, `image not found: ${ref.path} (looked for ${full} in ${source.label})`);
    } else {
      try {
        const img = decodeImage(await source.readBytes(full), ref.path);
        const px =
          img.width === size && img.height === size
            ? img.data
            : resizeRGB(img.data, img.width, img.height, size, size, options.resize ?? (img.width >= size && img.height >= size ? "area" : "bilinear"));
        out.set(px, i * ib);
      } catch (e) {
        problems.add(ref.listedIn, ref.line, e instanceof Error ? e.message : String(e));
      }
    }
    if (options.onProgress && (i % 64 === 63 || i === refs.length - 1)) options.onProgress(i + 1, refs.length);
  }
  return out;
}

/** Sequence and frame from a path such as "F001/T1/2440.jpg": the directory, and the number in the file name. */
export function sequenceAndFrame(paths: readonly string[]): { sequence: Int32Array; frame: Int32Array } {
  const ids = new Map<string, number>();
  const sequence = new Int32Array(paths.length);
  const frame = new Int32Array(paths.length);
  const counters = new Map<number, number>();
  paths.forEach((p, i) => {
    const norm = joinPath(p);
    const cut = norm.lastIndexOf("/");
    const dir = cut >= 0 ? norm.slice(0, cut) : "";
    let id = ids.get(dir);
    if (id === undefined) {
      id = ids.size;
      ids.set(dir, id);
    }
    sequence[i] = id;
    const m = /(\d+)(?!.*\d)/.exec(norm.slice(cut + 1));
    const running = counters.get(id) ?? 0;
    counters.set(id, running + 1);
    frame[i] = m ? Number(m[1]) : running;
  });
  return { sequence, frame };
}

/** Default subject of an image path: its first directory ("F001/T1/1.jpg" -> "F001"). */
export function subjectFromPath(path: string): string {
  const norm = joinPath(path);
  const cut = norm.indexOf("/");
  return cut > 0 ? norm.slice(0, cut) : "";
}

// File access behind small interfaces, so importers and exporters run the same
// in Node (files-node.ts) and in the browser (a folder the user picks, given as
// a map of relative paths to bytes or to loaders such as `() => file.arrayBuffer()`).

export interface FileSource {
  /** Where the files come from, for messages (a directory, "picked folder", ...). */
  readonly label: string;
  readText(path: string): Promise<string>;
  readBytes(path: string): Promise<Uint8Array>;
  exists(path: string): Promise<boolean>;
}

export interface FileSink {
  readonly label: string;
  writeBytes(path: string, bytes: Uint8Array): Promise<void>;
  writeText(path: string, text: string): Promise<void>;
}

/** Joins and normalises relative POSIX paths ("a/./b", "../c"); backslashes count as separators. */
export function joinPath(...parts: string[]): string {
  const out: string[] = [];
  let absolute = false;
  parts.forEach((p, i) => {
    const s = p.replace(/\\/g, "/");
    if (i === 0 && s.startsWith("/")) absolute = true;
    for (const seg of s.split("/")) {
      if (seg === "" || seg === ".") continue;
      if (seg === ".." && out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else out.push(seg);
    }
  });
  return (absolute ? "/" : "") + out.join("/");
}

export type MemoryFile = Uint8Array | string | (() => Promise<Uint8Array | ArrayBuffer>);

/** A source over in-memory files keyed by relative path (tests, or files a page was given). */
export function memoryFileSource(files: Map<string, MemoryFile> | Record<string, MemoryFile>, label = "memory"): FileSource {
  const map = files instanceof Map ? files : new Map(Object.entries(files));
  const norm = new Map<string, MemoryFile>();
  for (const [k, v] of map) norm.set(joinPath(k), v);
  const load = async (path: string): Promise<Uint8Array> => {
    const v = norm.get(joinPath(path));
    if (v === undefined) throw new Error(`${label}: no such file ${path}`);
    if (typeof v === "string") return new TextEncoder().encode(v);
    if (v instanceof Uint8Array) return v;
    const got = await v();
    return got instanceof Uint8Array ? got : new Uint8Array(got);
  };
  return {
    label,
    readBytes: load,
    readText: async (p) => new TextDecoder().decode(await load(p)),
    exists: async (p) => norm.has(joinPath(p)),
  };
}

/** A sink that keeps written files in a map (tests, or a page building a zip). */
export function memoryFileSink(label = "memory"): FileSink & { files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  return {
    label,
    files,
    writeBytes: async (p, b) => void files.set(joinPath(p), b.slice()),
    writeText: async (p, t) => void files.set(joinPath(p), new TextEncoder().encode(t)),
  };
}

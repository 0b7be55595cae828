// A user's checkpoint file in a page: the File of a file input as a ByteSource that the
// lib reads in parts (the header first, the rest only once the header checks out:
// lib/io/checkpoint-upload.ts), and the line a slot shows about it: which file is loaded
// and what it holds, or why it was refused. Plain data in, DOM out.
import type { ByteSource } from "../lib/io/checkpoint-upload.js";
import { formatBytes } from "../lib/io/image-file.js";
import { el } from "./element.js";

/** A File (or any Blob) read in parts through Blob.slice, so a large file is never read whole to check its header. */
export function fileSource(file: Blob & { name?: string }): ByteSource {
  return {
    name: file.name ?? "",
    size: file.size,
    read: async (start, end) => new Uint8Array(await file.slice(start, end).arrayBuffer()),
  };
}

export interface CheckpointFileState {
  /** "teacher" or "student": the slot the file was chosen for. */
  slot: string;
  /** No file chosen yet. */
  empty?: boolean;
  /** Why the file was refused, or null. */
  error: string | null;
  /** The loaded file, when it was used. */
  loaded?: { name: string; size: number; description: string; madeBy: string } | null;
}

/**
 * The slot's line: the loaded file (name, size, what it holds; the command that made it on
 * hover, and that the choice is not in the URL), the refusal as a warning, or what to do.
 */
export function CheckpointFileStatus(state: CheckpointFileState): HTMLElement {
  const root = el("div", { className: "maskau-checkpoint-file" });
  root.dataset.slot = state.slot;
  if (state.error) {
    root.append(el("p", { className: "maskau-warning maskau-checkpoint-error", textContent: state.error }));
  } else if (state.loaded) {
    const { name, size, description, madeBy } = state.loaded;
    root.dataset.file = name;
    root.append(
      el(
        "p",
        { className: "muted maskau-checkpoint-loaded", title: `made by ${madeBy}` },
        "Loaded from this computer: ",
        el("code", { textContent: name }),
        ` (${formatBytes(size)}), ${description}. A file is not kept in the URL: a link or a reload shows the shipped ${state.slot} instead.`,
      ),
    );
  } else if (state.empty) {
    root.append(el("p", { className: "muted", textContent: `Choose a .safetensors checkpoint (maskau train ${state.slot === "teacher" ? "detector" : "student"}); it is read here and never leaves this computer.` }));
  }
  return root;
}

/** The slot's state once its file has loaded or been refused (no file: nothing to wait for). */
export async function checkpointFileState(
  slot: string,
  file: Blob | null,
  loading: Promise<{ madeBy: string; file?: { name: string; size: number; description: string } }>,
): Promise<CheckpointFileState> {
  if (!file) {
    loading.catch(() => {});
    return { slot, empty: true, error: null };
  }
  return loading.then(
    (m) => ({ slot, error: null, loaded: m.file ? { ...m.file, madeBy: m.madeBy } : null }),
    (e: unknown) => ({ slot, error: e instanceof Error ? e.message : String(e) }),
  );
}

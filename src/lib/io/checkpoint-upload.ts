// A checkpoint a user chooses in a page (a file input's File), checked from its size and its
// header before it is read whole, so that a file that is not a checkpoint, an incomplete
// download, a header that claims more than the file holds or a file too large for a tab is
// refused with a message naming the problem and what to do, instead of a reader's terse
// error or a frozen tab. The header checks are the safetensors reader's own
// (safetensorsHeaderLength, inspectSafetensorsHeader) and the metadata's (checkpointMeta),
// as `maskau inspect` and readCheckpointMeta run them in Node; this file adds the reading
// in parts and the words. No DOM: a page hands over a ByteSource (components/checkpoint-file.ts).
import { checkpointMeta, CheckpointError, type CheckpointMeta } from "./checkpoint.js";
import { describeNonImage, formatBytes, IMAGE_FORMAT_NAMES, inspectImage } from "./image-file.js";
import { inspectSafetensorsHeader, safetensorsHeaderLength, SafetensorsError, type SafetensorsListing } from "./safetensors.js";

/**
 * The largest checkpoint a page reads. The pages' models are far smaller (the tiny
 * detectors 0.6-0.8 MB, the students 2.5 MB; with AdamW's state, three times that); the
 * limit keeps a tab from reading a file of gigabytes into memory.
 */
export const CHECKPOINT_UPLOAD_LIMITS = { bytes: 200e6 };

/** A file read in parts (a browser File through Blob.slice; a Buffer in tests). */
export interface ByteSource {
  /** The file's name as the user knows it ("" when unknown). */
  name: string;
  size: number;
  /** Bytes [start, end) of the file. */
  read(start: number, end: number): Promise<Uint8Array>;
}

export interface UploadHeader {
  /** The name as messages quote it: “teacher.safetensors”. */
  quoted: string;
  size: number;
  meta: CheckpointMeta;
  listing: SafetensorsListing;
  /** Bytes of the data buffer (after the header): what the tensors take. */
  dataBytes: number;
}

/** The fix most messages end with. */
export const CHOOSE_CHECKPOINT = "Choose a .safetensors checkpoint written by maskau train detector or maskau train student.";

/** “name”, or “the file” when the name is unknown. */
export const quoteName = (name: string): string => (name ? `“${name}”` : "the file");

/** What a file that is not safetensors is, from its first bytes ("a PNG picture", "text"). */
function describeOther(head: Uint8Array): string {
  const image = inspectImage(head);
  if (image) return `a ${IMAGE_FORMAT_NAMES[image.format]} picture`;
  const kind = describeNonImage(head);
  if (kind === "a ZIP archive") return "a ZIP archive (a PyTorch .pt or .pth file is one)";
  return kind ?? "not in the safetensors format (8 bytes of header length, then a JSON header)";
}

/** The largest end offset the header's tensors claim (0 when the header does not parse): what the file would need after its header. */
function claimedDataBytes(header: Uint8Array): number {
  try {
    const json = JSON.parse(new TextDecoder().decode(header.subarray(8))) as Record<string, { data_offsets?: unknown }>;
    let max = 0;
    for (const v of Object.values(json)) {
      const end = Array.isArray(v?.data_offsets) ? Number(v.data_offsets[1]) : 0;
      if (Number.isFinite(end) && end > max) max = end;
    }
    return max;
  } catch {
    return 0;
  }
}

/** A SafetensorsError's reason without the source the reader puts first. */
const reasonOf = (e: Error, source: string): string => e.message.replace(`${source}: `, "");

/**
 * Checks a checkpoint file from its size and header (the tensors are not read): a MaskAU
 * checkpoint whose header is whole and consistent with the file's size, with metadata that
 * says which model it holds. Rejects with a SafetensorsError (the file) or a
 * CheckpointError (its metadata) whose message names the file, the problem and what to do.
 */
export async function readUploadHeader(file: ByteSource, limits = CHECKPOINT_UPLOAD_LIMITS): Promise<UploadHeader> {
  const quoted = quoteName(file.name);
  const size = file.size;
  if (size === 0) throw new SafetensorsError(`${quoted} is empty (0 bytes). ${CHOOSE_CHECKPOINT}`);
  if (size > limits.bytes) {
    throw new SafetensorsError(
      `${quoted} is ${formatBytes(size)}, more than the ${formatBytes(limits.bytes)} a checkpoint may be here; it was not read. ` +
        `The models these pages compare are a few MB (the tiny detectors 0.6-0.8 MB, the students 2.5 MB): choose a checkpoint of a model for the pages' 64 px faces, or look at this file with npx maskau inspect.`,
    );
  }
  const head = await file.read(0, Math.min(size, 512));
  // The format: 8 bytes of header length, then a JSON header that begins with "{".
  if (size < 9 || head[8] !== 0x7b) {
    throw new SafetensorsError(`${quoted} is not a safetensors checkpoint: it is ${describeOther(head)}. ${CHOOSE_CHECKPOINT} A PyTorch .pth file must be converted first (see Checkpoints in the README).`);
  }
  const claimed = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  if (claimed + 8n > BigInt(size)) {
    if (claimed >= BigInt(limits.bytes)) {
      throw new SafetensorsError(`${quoted} is damaged or not a checkpoint: its first 8 bytes give a header of ${claimed} bytes, more than the whole ${formatBytes(size)} file; nothing more was read. ${CHOOSE_CHECKPOINT}`);
    }
    throw new SafetensorsError(`${quoted} is cut short: its header is ${claimed} bytes long but the file ends after ${size}, so the file is incomplete. Copy or download it again, or write it again with maskau train.`);
  }
  let headerLength: number;
  try {
    headerLength = safetensorsHeaderLength(head, size, quoted);
  } catch (e) {
    if (!(e instanceof SafetensorsError)) throw e;
    throw new SafetensorsError(`${quoted} is damaged or not a checkpoint: ${reasonOf(e, quoted)}; nothing more was read. ${CHOOSE_CHECKPOINT}`);
  }
  const header = await file.read(0, 8 + headerLength);
  const dataBytes = size - 8 - headerLength;
  let listing: SafetensorsListing;
  try {
    listing = inspectSafetensorsHeader(header, size, quoted);
  } catch (e) {
    if (!(e instanceof SafetensorsError)) throw e;
    const claimedData = claimedDataBytes(header);
    if (claimedData > dataBytes && claimedData > limits.bytes) {
      throw new SafetensorsError(
        `${quoted} is damaged or deliberately malformed: its header claims ${formatBytes(claimedData)} of tensors, but only ${formatBytes(dataBytes)} follow the header; it was not read further and nothing was allocated for it. ${CHOOSE_CHECKPOINT}`,
      );
    }
    if (claimedData > dataBytes) {
      throw new SafetensorsError(
        `${quoted} is cut short: its header describes ${claimedData.toLocaleString("en")} bytes of tensors, but only ${dataBytes.toLocaleString("en")} follow it, so the file is incomplete. Copy or download it again, or write it again with maskau train.`,
      );
    }
    throw new SafetensorsError(`${quoted} is not a valid safetensors file: ${reasonOf(e, quoted)}. Write the checkpoint again with maskau train, or look at it with npx maskau inspect.`);
  }
  let meta: CheckpointMeta | null;
  try {
    meta = checkpointMeta(listing.metadata, quoted);
  } catch (e) {
    if (!(e instanceof CheckpointError)) throw e;
    throw new CheckpointError(`${quoted} has damaged MaskAU metadata: ${reasonOf(e, quoted)}. Write the checkpoint again with maskau train, or look at it with npx maskau inspect.`);
  }
  if (!meta) {
    throw new CheckpointError(
      `${quoted} has no MaskAU metadata (a plain safetensors file, such as official or converted weights): it does not say which model it holds or which AUs it detects, so it cannot be used here. ${CHOOSE_CHECKPOINT} Those record their model in the file.`,
    );
  }
  return { quoted, size, meta, listing, dataBytes };
}

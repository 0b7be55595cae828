// A user's photo as model input: checked from its bytes (src/lib/io/image-file.ts),
// decoded by the browser, centre-cropped to a square and resized to the model's input
// size on a canvas, returned as uint8 RGB with notes on what was done to it.
import { describeNonImage, formatBytes, IMAGE_FORMAT_NAMES, inspectImage, PHOTO_LIMITS, type ImageFileInfo } from "../lib/io/image-file.js";

/** Grey that transparent pixels are shown on. */
export const PHOTO_BACKGROUND = 128;

/**
 * The centre square of `image` at `size` x `size`, as RGBA with transparent pixels
 * composited on PHOTO_BACKGROUND grey; `transparent` says whether any pixel was.
 */
function centreSquare(image: CanvasImageSource & { width: number; height: number }, size: number): { rgb: Uint8Array; transparent: boolean; grey: boolean } {
  const side = Math.min(image.width, image.height);
  if (!(side > 0)) throw new Error("the image has no pixels");
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size;
  const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(image, (image.width - side) / 2, (image.height - side) / 2, side, side, 0, 0, size, size);
  const { data } = ctx.getImageData(0, 0, size, size);
  const rgb = new Uint8Array(size * size * 3);
  let transparent = false;
  let grey = true;
  for (let p = 0; p < size * size; p++) {
    const a = data[p * 4 + 3];
    if (a < 255) transparent = true;
    for (let c = 0; c < 3; c++) rgb[p * 3 + c] = Math.round((data[p * 4 + c] * a + PHOTO_BACKGROUND * (255 - a)) / 255);
    if (rgb[p * 3] !== rgb[p * 3 + 1] || rgb[p * 3] !== rgb[p * 3 + 2]) grey = false;
  }
  return { rgb, transparent, grey };
}

/** An <img> decoded from a blob through an object URL (for browsers without createImageBitmap). */
async function imageElement(file: Blob): Promise<HTMLImageElement> {
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

export interface Photo {
  rgb: Uint8Array;
  /** What the page should say about the photo (too small, transparent, greyscale, CMYK); [] for an ordinary photo. */
  notes: string[];
}

const CHOOSE = "Choose a PNG or JPEG photo.";

/**
 * Reads a user's image file (the value of a file input: a File, not a FileAttachment)
 * into the centre-cropped `size` x `size` RGB face. PNG and JPEG, and any other format
 * the browser reads. Before reading, a file over PHOTO_LIMITS.bytes is refused by its
 * size; before decoding, a picture over PHOTO_LIMITS.pixels or a file cut short is
 * refused by its header. Rejects with a message that names the file, the problem and
 * what to do.
 */
export async function readPhoto(file: Blob & { name?: string }, size: number): Promise<Photo> {
  const name = file.name ? `“${file.name}”` : "the file";
  if (file.size === 0) throw new Error(`${name} is empty (0 bytes). ${CHOOSE}`);
  if (file.size > PHOTO_LIMITS.bytes) {
    throw new Error(`${name} is ${formatBytes(file.size)}, more than the ${formatBytes(PHOTO_LIMITS.bytes)} a photo may be here; it was not read. Choose a smaller file, or save the photo as a JPEG (a 50-megapixel JPEG is about 15 MB).`);
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  const info = inspectImage(bytes);
  if (info) checkHeader(info, name, size);
  let bitmap: ImageBitmap | undefined;
  try {
    const blob = new Blob([bytes], { type: file.type });
    const image = typeof createImageBitmap === "function" ? (bitmap = await createImageBitmap(blob)) : await imageElement(blob);
    if (!(image.width > 0 && image.height > 0)) throw new Error("it has no pixels");
    const { rgb, transparent, grey } = centreSquare(image, size);
    return { rgb, notes: notes(info, { width: image.width, height: image.height, transparent, grey }, name, size) };
  } catch (e) {
    const reason = (e instanceof Error && e.message ? e.message : String(e)).replace(/\.$/, "");
    const kind = describeNonImage(bytes.subarray(0, 512));
    const what = info ? `a ${IMAGE_FORMAT_NAMES[info.format]} file the browser cannot decode` : `${kind ? `${kind}, ` : ""}not a PNG, JPEG, GIF, WebP or BMP file`;
    throw new Error(`${name} could not be read as an image: it is ${what} (the browser says: ${reason}). ${CHOOSE}`);
  } finally {
    bitmap?.close();
  }
}

/** Refuses, before decoding, a picture cut short or too large to decode. */
function checkHeader(info: ImageFileInfo, name: string, size: number): void {
  const format = IMAGE_FORMAT_NAMES[info.format];
  if (info.truncated) throw new Error(`${name} is cut short: ${info.truncated}, so part of the picture is missing. The file is incomplete: copy or download it again, or choose another photo.`);
  const pixels = info.width * info.height;
  if (pixels > PHOTO_LIMITS.pixels) {
    throw new Error(
      `${name} is a ${format} of ${info.width.toLocaleString("en")}×${info.height.toLocaleString("en")} px (${(pixels / 1e6).toFixed(0)} megapixels), more than the ${PHOTO_LIMITS.pixels / 1e6} megapixels decoded here; it was not decoded. ` +
        `Scale it down (the MAE sees ${size}×${size} px) and choose it again.`,
    );
  }
}

/** What to say about a photo that was read. */
function notes(info: ImageFileInfo | null, image: { width: number; height: number; transparent: boolean; grey: boolean }, name: string, size: number): string[] {
  const out: string[] = [];
  if (Math.min(image.width, image.height) < size) {
    out.push(`${name} is ${image.width}×${image.height} px, smaller than the MAE's ${size}×${size} input: it was scaled up, so the panels show a blur rather than a face. Choose a photo at least ${size} px on its shorter side.`);
  }
  if (image.transparent) out.push(`${name} has transparent pixels: they are shown on grey (${PHOTO_BACKGROUND}, ${PHOTO_BACKGROUND}, ${PHOTO_BACKGROUND}), which the MAE reads as a grey background. To use another background, flatten the photo onto it and choose it again.`);
  if (image.grey || info?.grey) out.push(`${name} is greyscale: the MAE was trained on colour faces, so its reconstruction may add colour. Choose a colour photo to compare like with like.`);
  if (info?.cmyk) out.push(`${name} is a CMYK JPEG (a print format): the browser converted it to RGB without its colour profile, so colours may differ from a print preview. Save it as an RGB JPEG for exact colours.`);
  return out;
}

// A user's photo as model input: decoded by the browser, centre-cropped to a square and
// resized to the model's input size on a canvas, returned as uint8 RGB.

export function imageToRgb(image: CanvasImageSource & { width: number; height: number }, size: number): Uint8Array {
  const side = Math.min(image.width, image.height);
  if (!(side > 0)) throw new Error("the image has no pixels");
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size;
  const ctx = canvas.getContext("2d")!;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(image, (image.width - side) / 2, (image.height - side) / 2, side, side, 0, 0, size, size);
  const { data } = ctx.getImageData(0, 0, size, size);
  const rgb = new Uint8Array(size * size * 3);
  for (let p = 0; p < size * size; p++) rgb.set(data.subarray(p * 4, p * 4 + 3), p * 3);
  return rgb;
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

/**
 * Decodes a user's image file (the value of a file input: a File, not a FileAttachment)
 * into the centre-cropped `size` x `size` RGB face. PNG and JPEG, and any other format
 * the browser reads. Rejects with a message that names the file when it cannot be read.
 */
export async function photoToRgb(file: Blob & { name?: string }, size: number): Promise<Uint8Array> {
  const name = file.name ? `“${file.name}”` : "the file";
  let bitmap: ImageBitmap | undefined;
  try {
    const image = typeof createImageBitmap === "function" ? (bitmap = await createImageBitmap(file)) : await imageElement(file);
    if (!(image.width > 0 && image.height > 0)) throw new Error("it has no pixels");
    return imageToRgb(image, size);
  } catch (e) {
    const reason = (e instanceof Error && e.message ? e.message : String(e)).replace(/\.$/, "");
    throw new Error(`${name} could not be read as an image (${reason}). Choose a PNG or JPEG photo.`);
  } finally {
    bitmap?.close();
  }
}

// A user's photo as model input: centre-cropped to a square and resized to the
// model's input size on a canvas, returned as uint8 RGB.

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

// Downloads made in the page: bytes or text handed to the browser as a file.

/** Triggers a browser download of `data` as `filename`. */
export function downloadBlob(data: BlobPart, filename: string, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A checkpoint (safetensors bytes) as a download. */
export function downloadCheckpoint(bytes: Uint8Array, filename: string): void {
  downloadBlob(bytes as Uint8Array<ArrayBuffer>, filename, "application/octet-stream");
}

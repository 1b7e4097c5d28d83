/** The image type of some bytes, by their magic number; null when not png, jpeg, webp or gif. */
export function imageType(bytes: Uint8Array): "image/png" | "image/jpeg" | "image/webp" | "image/gif" | null {
  const ascii = (start: number, end: number) => String.fromCharCode(...bytes.subarray(start, end));
  if (bytes[0] === 0x89 && ascii(1, 4) === "PNG") return "image/png";
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "image/jpeg";
  if (ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return "image/webp";
  if (ascii(0, 4) === "GIF8") return "image/gif";
  return null;
}

/** An image as the data URL the `/mj` routes take (`data:image/png;base64,…`). */
export function imageDataUrl(bytes: Uint8Array): string {
  const type = imageType(bytes);
  if (!type) throw new TypeError("not a png, jpeg, webp or gif image");
  return `data:${type};base64,${Buffer.from(bytes).toString("base64")}`;
}

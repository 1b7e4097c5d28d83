import type { MjErrorCode } from "./mj-errors.js";

/** At most this many images in one request (blend's 5; imagine reference images; uploads). */
export const MAX_IMAGES = 5;
/** Decoded bytes of one image. */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

const MIME_PREFIX = /^data:image\/(png|jpeg|jpg|webp|gif);base64,/i;
// The longest data URL that can hold MAX_IMAGE_BYTES: checked before any regex runs over it.
const MAX_DATA_URL_LENGTH = "data:image/jpeg;base64,".length + Math.ceil(MAX_IMAGE_BYTES / 3) * 4;
const BASE64_BODY = /^[A-Za-z0-9+/]+={0,2}$/;

/** Route body limit of the image routes: five of the largest images, plus the other fields. */
export const IMAGE_BODY_LIMIT = MAX_IMAGES * MAX_DATA_URL_LENGTH + 1024 * 1024;

type ImageType = "png" | "jpeg" | "webp" | "gif";

/** The type the bytes say, whatever the data URL claims (clients mislabel; the bytes decide). */
function sniff(head: Buffer): ImageType | null {
  if (
    head.length >= 8 &&
    head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  )
    return "png";
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return "jpeg";
  const ascii = head.toString("latin1");
  if (ascii.startsWith("GIF87a") || ascii.startsWith("GIF89a")) return "gif";
  if (ascii.startsWith("RIFF") && ascii.slice(8, 12) === "WEBP") return "webp";
  return null;
}

export type ImageCheck = { ok: true; dataUrl: string; bytes: number } | { ok: false; error: MjErrorCode };

/**
 * Checks one `data:image/png|jpeg|webp|gif;base64,…` URL: well-formed base64, at most
 * MAX_IMAGE_BYTES decoded, and bytes that really are such an image. Answers the data URL with
 * the type the bytes say.
 */
export function checkImage(value: string): ImageCheck {
  if (value.length > MAX_DATA_URL_LENGTH) return { ok: false, error: "IMAGE_TOO_LARGE" };
  const prefix = MIME_PREFIX.exec(value);
  if (!prefix) return { ok: false, error: "BASE64_INVALID" };
  const body = value.slice(prefix[0].length);
  if (body.length % 4 !== 0 || !BASE64_BODY.test(body)) return { ok: false, error: "BASE64_INVALID" };
  const padding = body.endsWith("==") ? 2 : body.endsWith("=") ? 1 : 0;
  const bytes = (body.length / 4) * 3 - padding;
  if (bytes > MAX_IMAGE_BYTES) return { ok: false, error: "IMAGE_TOO_LARGE" };
  // 16 base64 characters decode to the 12 bytes every signature above fits in.
  const type = sniff(Buffer.from(body.slice(0, 16), "base64"));
  if (!type) return { ok: false, error: "BASE64_INVALID" };
  return { ok: true, dataUrl: `data:image/${type};base64,${body}`, bytes };
}

import { createHash } from "node:crypto";
import { inflateSync } from "node:zlib";
import { crc32 } from "./png.js";
import { BoundedMap } from "./store.js";

/** Attachment uploads (discord-protocol.md §1.5): announced by POST /attachments, filled by PUT. */
export interface UploadRecord {
  channelId: string;
  /** `upload_filename` as returned to the client: `<channel>/<random>/<name>`. */
  uploadFilename: string;
  filename: string;
  /** What the client announced as `file_size`. */
  declaredSize: number | null;
  contentType: string | null;
  /** Byte length and sha256 of what was PUT; null until then. */
  size: number | null;
  sha256: string | null;
  body: Buffer | null;
}

export type UploadInfo = Omit<UploadRecord, "body">;

/** The image kind from the file's first bytes; null when it is not an image Discord previews. */
export function imageKind(bytes: Buffer): "png" | "jpeg" | "webp" | "gif" | null {
  if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0x89504e47 && bytes.readUInt32BE(4) === 0x0d0a1a0a)
    return "png";
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  if (
    bytes.length >= 12 &&
    bytes.toString("latin1", 0, 4) === "RIFF" &&
    bytes.toString("latin1", 8, 12) === "WEBP"
  )
    return "webp";
  if (bytes.length >= 6 && /^GIF8[79]a$/.test(bytes.toString("latin1", 0, 6))) return "gif";
  return null;
}

export const MIME = { png: "image/png", jpeg: "image/jpeg", webp: "image/webp", gif: "image/gif" } as const;

/** A PNG whose chunks have valid CRCs, with an IHDR, an IEND and IDAT data that inflates. */
export function isDecodablePng(bytes: Buffer): boolean {
  if (imageKind(bytes) !== "png") return false;
  let pos = 8;
  const idat: Buffer[] = [];
  let sawHeader = false;
  while (pos + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(pos);
    const end = pos + 12 + length;
    if (end > bytes.length) return false;
    const type = bytes.toString("latin1", pos + 4, pos + 8);
    if (crc32(bytes.subarray(pos + 4, pos + 8 + length)) !== bytes.readUInt32BE(pos + 8 + length))
      return false;
    if (pos === 8 && (type !== "IHDR" || length !== 13)) return false;
    if (type === "IHDR") sawHeader = true;
    if (type === "IDAT") idat.push(bytes.subarray(pos + 8, pos + 8 + length));
    if (type === "IEND") {
      if (!sawHeader || idat.length === 0) return false;
      try {
        inflateSync(Buffer.concat(idat));
        return true;
      } catch {
        return false;
      }
    }
    pos = end;
  }
  return false;
}

export class Uploads {
  private readonly byKey = new BoundedMap<string, UploadRecord>(5_000);

  announce(rec: Omit<UploadRecord, "size" | "sha256" | "body" | "contentType">): void {
    this.byKey.set(rec.uploadFilename, { ...rec, contentType: null, size: null, sha256: null, body: null });
  }

  get(uploadFilename: string): UploadRecord | undefined {
    return this.byKey.get(uploadFilename);
  }

  /** Store the PUT bytes; returns why they are refused, or null. */
  fill(uploadFilename: string, body: Buffer, contentType: string | undefined): string | null {
    const rec = this.byKey.get(uploadFilename);
    if (!rec) return "unknown upload";
    if (rec.declaredSize !== null && rec.declaredSize !== body.length)
      return `size ${body.length} does not match file_size ${rec.declaredSize}`;
    const kind = imageKind(body);
    if (!kind) return "not an image (PNG, JPEG, WebP or GIF)";
    rec.body = body;
    rec.size = body.length;
    rec.sha256 = createHash("sha256").update(body).digest("hex");
    rec.contentType = contentType && contentType !== "application/octet-stream" ? contentType : MIME[kind];
    return null;
  }

  list(): UploadInfo[] {
    return [...this.byKey.values()].map(({ body: _b, ...info }) => info);
  }
}

/** Width and height from a PNG's IHDR; null for other formats. */
export function pngSize(bytes: Buffer): { width: number; height: number } | null {
  if (imageKind(bytes) !== "png" || bytes.length < 24) return null;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

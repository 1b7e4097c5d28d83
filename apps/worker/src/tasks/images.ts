import type { DiscordRest } from "@mjg/discord-client";
import { attachmentSlotsBody, type UploadedAttachment } from "@mjg/midjourney";
import type { KeySpace } from "@mjg/shared";
import type { Redis } from "ioredis";

/** An input image of a task, decoded from the data URL the API stored. */
export interface InputImage {
  bytes: Buffer;
  mime: string;
  filename: string;
}

const DATA_URL = /^data:(image\/(?:png|jpeg|jpg|webp|gif));base64,([A-Za-z0-9+/=\s]+)$/;
const EXTENSIONS: Record<string, string> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/jpg": "jpg",
  "image/webp": "webp",
  "image/gif": "gif",
};

/** Decodes `data:image/…;base64,…`; null for anything else (the API checked it already). */
export function decodeDataUrl(dataUrl: string, name: string): InputImage | null {
  const match = DATA_URL.exec(dataUrl.trim());
  if (!match) return null;
  const mime = match[1]!;
  const bytes = Buffer.from(match[2]!, "base64");
  if (bytes.length === 0) return null;
  return { bytes, mime, filename: `${name}.${EXTENSIONS[mime] ?? "png"}` };
}

/** The PNG a Vary (Region) job takes as its mask: base64 without the data-URL prefix (§1.4). */
export function maskBase64(dataUrl: string): string {
  return dataUrl.replace(/^data:[^,]*,/, "");
}

/** A task's stored input images, in order (a Vary Region mask last). */
export function taskImages(redis: Redis, keys: KeySpace, taskId: string): Promise<string[]> {
  return redis.lrange(keys.taskImages(taskId), 0, -1);
}

export function dropTaskImages(redis: Redis, keys: KeySpace, taskId: string): Promise<number> {
  return redis.del(keys.taskImages(taskId));
}

/** Upload slots, then the bytes of each file (§1.5 steps 1–2): what an interaction then references. */
export async function uploadImages(
  rest: DiscordRest,
  channelId: string,
  images: InputImage[],
): Promise<UploadedAttachment[]> {
  const slots = await rest.attachmentSlots(
    channelId,
    attachmentSlotsBody(images.map((image) => ({ filename: image.filename, size: image.bytes.length }))),
  );
  if (slots.length !== images.length)
    throw new Error(`asked for ${images.length} upload slots, got ${slots.length}`);
  const uploaded: UploadedAttachment[] = [];
  for (const [i, image] of images.entries()) {
    const slot = slots[i]!;
    await rest.uploadFile(slot.upload_url, image.bytes, image.mime);
    uploaded.push({
      id: String(i),
      filename: slot.upload_filename.split("/").pop() ?? image.filename,
      uploadedFilename: slot.upload_filename,
    });
  }
  return uploaded;
}

/** Posts uploaded files as a message of the account's channel and returns their CDN URLs (§1.5). */
export async function publicUrls(rest: DiscordRest, channelId: string, body: object): Promise<string[]> {
  const message = (await rest.postMessage(channelId, body)) as { attachments?: { url?: unknown }[] } | null;
  const urls = (message?.attachments ?? []).map((attachment) => attachment.url).filter(isString);
  if (urls.length === 0) throw new Error("Discord posted the images without attachment URLs");
  return urls;
}

function isString(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

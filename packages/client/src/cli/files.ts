import { mkdir, readFile, writeFile } from "node:fs/promises";
import { extname, join } from "node:path";
import type { MjTask } from "@mjg/shared/mj-task";
import { imageDataUrl, imageType } from "../images.js";
import { UsageError } from "./exit.js";

/** An image file as the data URL the gateway takes; a missing or non-image file is a usage error. */
export async function readImage(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    throw new UsageError(`cannot read ${path}`);
  }
  if (!imageType(bytes)) throw new UsageError(`${path} is not a png, jpeg, webp or gif image`);
  return imageDataUrl(bytes);
}

/** Every image a finished task points at, the main one first, each once. */
export function taskImages(task: MjTask): string[] {
  const urls = [task.imageUrl, ...task.imageUrls.map((image) => image.url)];
  return [...new Set(urls.filter((url): url is string => typeof url === "string" && url !== ""))];
}

const EXTENSIONS: Record<string, string> = {
  "image/png": ".png",
  "image/jpeg": ".jpg",
  "image/webp": ".webp",
  "image/gif": ".gif",
};

/** `<id>.png`, then `<id>-2.png`…: the extension from the bytes, else the URL. */
export function fileName(taskId: string, n: number, url: string, bytes: Uint8Array): string {
  const type = imageType(bytes);
  const fromUrl = extname(new URL(url).pathname).toLowerCase();
  const ext = type ? EXTENSIONS[type]! : /^\.[a-z0-9]{1,5}$/.test(fromUrl) ? fromUrl : ".bin";
  return `${taskId}${n === 0 ? "" : `-${n + 1}`}${ext}`;
}

/** Downloads the task's images into `dir` (no gateway secret goes to the image host). */
export async function saveImages(task: MjTask, dir: string, signal?: AbortSignal): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const saved: string[] = [];
  for (const [n, url] of taskImages(task).entries()) {
    const response = await fetch(url, { signal });
    if (!response.ok) throw new Error(`download of ${url} failed: HTTP ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const path = join(dir, fileName(task.id, n, url, bytes));
    await writeFile(path, bytes);
    saved.push(path);
  }
  return saved;
}

import { scanKeys, type TaskButton, type TaskRecord, taskJobId } from "@mjg/shared";
import { expect } from "vitest";
import { type Harness, json } from "./harness.js";

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A data URL whose bytes start like a PNG (all the gateway checks before Discord sees it). */
export function png(size = 64, fill = 1): string {
  const bytes = Buffer.alloc(Math.max(size, 8), fill);
  PNG_SIGNATURE.copy(bytes);
  return `data:image/png;base64,${bytes.toString("base64")}`;
}

export function jpeg(size = 64): string {
  const bytes = Buffer.alloc(size, 7);
  bytes[0] = 0xff;
  bytes[1] = 0xd8;
  bytes[2] = 0xff;
  return `data:image/jpeg;base64,${bytes.toString("base64")}`;
}

export interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

export async function post(
  h: Harness,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(`${h.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, body: await json(response), headers: response.headers };
}

/**
 * Every key under the harness prefix with what it holds: a refusal must leave this unchanged
 * (the callback queue's bookkeeping, created when the API starts, aside).
 */
export async function redisState(h: Harness): Promise<string[]> {
  // Master by master: KEYS on a Redis Cluster only sees one node.
  const found: string[] = [];
  for await (const batch of scanKeys(h.redis, `${h.prefix}:*`)) found.push(...batch);
  const keys = found.filter((key) => !key.includes("{notify}")).sort();
  const state: string[] = [];
  for (const key of keys) {
    const type = await h.redis.type(key);
    const size =
      type === "zset"
        ? await h.redis.zcard(key)
        : type === "list"
          ? await h.redis.llen(key)
          : type === "hash"
            ? await h.redis.hlen(key)
            : 1;
    state.push(`${key} ${type} ${size}`);
  }
  return state;
}

/** Asserts the /mj refusal envelope exactly. */
export function expectRefusal(answer: Answer, status: number, code: number, description?: string): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(Object.keys(answer.body)).toEqual(["code", "description", "result", "properties"]);
  expect(answer.body.code).toBe(code);
  expect(answer.body.result).toBeNull();
  expect(typeof answer.body.properties).toBe("object");
  if (description !== undefined) expect(answer.body.description).toBe(description);
}

/** Asserts a submit success envelope (code 1 or 22) and answers the task id. */
export function expectSubmitted(answer: Answer, accountId = "a1"): string {
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  expect(Object.keys(answer.body)).toEqual(["code", "description", "result", "properties"]);
  expect([1, 22]).toContain(answer.body.code);
  expect(typeof answer.body.result).toBe("string");
  expect(answer.body.result).toMatch(/^\d{16}$/);
  expect(Number.isSafeInteger(Number(answer.body.result))).toBe(true);
  expect(answer.body.properties.discordInstanceId).toBe(accountId);
  return answer.body.result;
}

export const HASH = "0f3b5c1e-8f2a-4d5e-9c1b-2a3b4c5d6e7f";

export function gridButtons(hash = HASH): TaskButton[] {
  const button = (customId: string, label: string, emoji = ""): TaskButton => ({
    customId,
    emoji,
    label,
    type: 2,
    style: 2,
  });
  return [
    ...[1, 2, 3, 4].map((i) => button(`MJ::JOB::upsample::${i}::${hash}`, `U${i}`)),
    button(`MJ::JOB::reroll::0::${hash}::SOLO`, "", "🔄"),
    ...[1, 2, 3, 4].map((i) => button(`MJ::JOB::variation::${i}::${hash}`, `V${i}`)),
  ];
}

export function upscaledButtons(hash = HASH): TaskButton[] {
  const button = (customId: string, label: string, emoji = ""): TaskButton => ({
    customId,
    emoji,
    label,
    type: 2,
    style: 2,
  });
  return [
    button(`MJ::JOB::high_variation::1::${hash}::SOLO`, "Vary (Strong)", "🪄"),
    button(`MJ::JOB::low_variation::1::${hash}::SOLO`, "Vary (Subtle)", "🪄"),
    button(`MJ::Inpaint::1::${hash}::SOLO`, "Vary (Region)", "🖌️"),
    button(`MJ::Outpaint::50::1::${hash}::SOLO`, "Zoom Out 2x", "🔍"),
    button(`MJ::CustomZoom::${hash}`, "Custom Zoom", "🔍"),
    button(`MJ::JOB::pan_left::1::${hash}::SOLO`, "", "⬅️"),
    button(`MJ::BOOKMARK::${hash}`, "", "❤️"),
  ];
}

/** Submits an imagine through /mj and finishes it as the worker would, with the given buttons. */
export async function finishedTask(
  h: Harness,
  extra: Partial<TaskRecord> = {},
  prompt = "a lighthouse at dusk",
): Promise<TaskRecord> {
  const answer = await post(h, "/mj/submit/imagine", { prompt });
  const id = expectSubmitted(answer, answer.body.properties.discordInstanceId);
  const result = await h.api.store.update(id, () => ({
    status: "SUCCESS",
    hash: HASH,
    imageUrl: "https://cdn.example.com/grid.png",
    finalPrompt: `${prompt} --v 6`,
    buttons: gridButtons(),
    ...extra,
  }));
  if (result.outcome !== "updated") throw new Error("parent not finished");
  return result.record;
}

export async function jobOf(h: Harness, taskId: string, accountId = "a1") {
  return h.api.submitter.queueFor(accountId).getJob(taskJobId(taskId));
}

export async function record(h: Harness, taskId: string): Promise<TaskRecord> {
  const found = await h.api.store.get(taskId);
  if (!found) throw new Error(`no task ${taskId}`);
  return found;
}

import type { KeySpace } from "@mjg/shared";
import type { Redis } from "ioredis";
import { z } from "zod";
import { TaskEventTypeSchema } from "./events.js";

/** How many attempts a task keeps; older ones fall off. */
export const ATTEMPTS_KEPT = 50;

export const DeliveryAttemptSchema = z.object({
  at: z.number(),
  eventId: z.string(),
  event: TaskEventTypeSchema,
  url: z.string(),
  /** HTTP status, or null when no response came (timeout, refused, connection error). */
  status: z.number().int().nullable(),
  error: z.string().nullable(),
  /** When the next try is due; null when delivered or given up. */
  nextAttemptAt: z.number().nullable(),
  attempt: z.number().int(),
  delivered: z.boolean(),
});
export type DeliveryAttempt = z.infer<typeof DeliveryAttemptSchema>;

export async function recordAttempt(
  redis: Redis,
  keys: KeySpace,
  taskId: string,
  attempt: DeliveryAttempt,
  retentionMs: number,
): Promise<void> {
  const key = keys.taskCallbacks(taskId);
  await redis
    .multi()
    .lpush(key, JSON.stringify(attempt))
    .ltrim(key, 0, ATTEMPTS_KEPT - 1)
    .pexpire(key, retentionMs)
    .exec();
}

/** A task's delivery attempts, newest first. */
export async function readAttempts(redis: Redis, keys: KeySpace, taskId: string): Promise<DeliveryAttempt[]> {
  const entries = await redis.lrange(keys.taskCallbacks(taskId), 0, ATTEMPTS_KEPT - 1);
  return entries.flatMap((entry) => {
    const parsed = DeliveryAttemptSchema.safeParse(parseJson(entry));
    return parsed.success ? [parsed.data] : [];
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

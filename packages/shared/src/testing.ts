import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { connectRedis } from "./redis.js";

/** The Redis the tests use: REDIS_URL, or the local one. */
export const TEST_REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** A key prefix no other test uses, so tests run side by side on one Redis. */
export function uniquePrefix(label = "t"): string {
  return `test-${label}-${randomUUID().slice(0, 8)}`;
}

/** Deletes every key under a prefix (task keys, account keys and BullMQ queues alike). */
export async function dropPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== "0");
}

export function testRedis(): Redis {
  return connectRedis(TEST_REDIS_URL, { name: "test" });
}

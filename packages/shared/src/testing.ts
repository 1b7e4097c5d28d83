import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Redis } from "ioredis";
import { newTaskId } from "./ids.js";
import { connectRedis, scanKeys, unlinkKeys } from "./redis.js";
import { type NewTask, newTaskRecord, type TaskRecord } from "./task.js";

/**
 * A new task's record for tests: an IMAGINE of "a cat" on account a1, submitted now, unless the
 * fields given say otherwise (promptEn follows the prompt).
 */
export function testRecord(fields: Partial<NewTask> = {}): TaskRecord {
  const prompt = fields.prompt === undefined ? "a cat" : fields.prompt;
  return newTaskRecord({
    _id: newTaskId(),
    action: "IMAGINE",
    state: null,
    notifyHook: null,
    index: null,
    parentId: null,
    accountId: "a1",
    submitTime: Date.now(),
    ...fields,
    prompt,
    promptEn: fields.promptEn === undefined ? prompt : fields.promptEn,
  });
}

/** The Redis the tests use: REDIS_URL, or the local one. */
export const TEST_REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** A key prefix no other test uses, so tests run side by side on one Redis. */
export function uniquePrefix(label = "t"): string {
  return `test-${label}-${randomUUID().slice(0, 8)}`;
}

/** Deletes every key under a prefix (task keys, account keys and BullMQ queues alike), master by master. */
export async function dropPrefix(redis: Redis, prefix: string): Promise<void> {
  for await (const keys of scanKeys(redis, `${prefix}:*`)) await unlinkKeys(redis, keys);
}

export function testRedis(): Redis {
  return connectRedis(TEST_REDIS_URL, { name: "test" });
}

/** Polls `probe` until `done` holds; generous by default, because test machines are noisy. */
export async function until<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await probe();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`condition not met; last seen ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    last = await probe();
  }
  return last;
}

/** Prometheus text exposition → `name{labels}` → value. */
export function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return values;
}

/** Test answers are read loosely: assertions, not types, check their shape. */
// biome-ignore lint/suspicious/noExplicitAny: see above
export async function json(response: Response): Promise<any> {
  return response.json();
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A Redis of the test's own on `port`, so the test can take it away and bring it back. */
export function startRedisServer(port: number, extraArgs: string[] = []): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn("redis-server", [
      // Its own directory: a replica's full sync writes an RDB file, never into the checkout.
      "--dir",
      mkdtempSync(join(tmpdir(), "mjg-redis-")),
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      ...extraArgs,
    ]);
    child.on("error", reject);
    child.stdout.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("Ready to accept connections")) resolve(child);
    });
  });
}

// Real captured payloads live beside the repository, never inside it: <repo>/../shared/discord-fixtures.
export const FIXTURES_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "../../../../shared/discord-fixtures",
);
export const hasFixtures = existsSync(FIXTURES_DIR);
if (!hasFixtures) {
  console.warn(`\n!!! ${FIXTURES_DIR} is missing: tests on real Discord payloads are SKIPPED !!!\n`);
}

export interface GatewayFrame {
  t: string | null;
  s: number | null;
  op: number;
  d: unknown;
}

/** One captured gateway frame per line of a `.jsonl` fixture. */
export function fixtureLines(name: string): GatewayFrame[] {
  return readFileSync(resolve(FIXTURES_DIR, name), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as GatewayFrame);
}

import {
  AccountDirectory,
  type AccountStatus,
  connectRedis,
  keySpace,
  type RedisSettings,
  redisReady,
  scanKeys,
} from "@mjg/shared";
import { dropPrefix, json, TEST_REDIS_URL, uniquePrefix } from "@mjg/shared/testing";
import type { Redis } from "ioredis";
import { type Api, type ApiOptions, buildApi } from "../src/app.js";

export interface Harness {
  url: string;
  api: Api;
  redis: Redis;
  prefix: string;
  directory: AccountDirectory;
  keys: ReturnType<typeof keySpace>;
  close(): Promise<void>;
}

export function accountStatus(id: string, extra: Partial<AccountStatus> = {}): AccountStatus {
  return {
    id,
    enabled: true,
    disabledReason: null,
    concurrency: 3,
    queueSize: 10,
    owner: null,
    gateway: "ready",
    lastError: null,
    updatedAt: Date.now(),
    ...extra,
  };
}

/** A real API on a free port over the real Redis, isolated by a key prefix. */
export async function startApi(
  options: Partial<ApiOptions> & {
    accounts?: AccountStatus[];
    redisUrl?: string;
    /** Settings of that Redis (replica acknowledgement, …); none by default. */
    redisSettings?: RedisSettings;
    /** Another API process on the same keys (its close leaves them to the first one). */
    sharePrefix?: string;
  } = {},
): Promise<Harness> {
  const prefix = options.sharePrefix ?? uniquePrefix("api");
  // A test that brings its own Redis server gets that one server, also while the suite runs on a cluster.
  const redis = connectRedis(options.redisUrl ?? TEST_REDIS_URL, {
    failFast: true,
    name: "api-test",
    ...(options.redisUrl ? { settings: options.redisSettings ?? {} } : {}),
  });
  await redisReady(redis);
  const keys = keySpace(prefix);
  const directory = new AccountDirectory(redis, keys);
  if (!options.sharePrefix)
    for (const account of options.accounts ?? [accountStatus("a1")]) await directory.put(account);
  const api = await buildApi({
    redis,
    keys,
    logger: false,
    timeoutMs: 600_000,
    retentionMs: 86_400_000,
    ...options,
  });
  const address = await api.app.listen({ port: 0, host: "127.0.0.1" });
  return {
    url: address,
    api,
    redis,
    prefix,
    directory,
    keys,
    async close() {
      await api.app.close();
      if (redis.status === "ready" && !options.sharePrefix) await dropPrefix(redis, prefix);
      redis.disconnect();
    },
  };
}

export async function taskKeys(harness: Harness): Promise<string[]> {
  const found: string[] = [];
  for await (const keys of scanKeys(harness.redis, `${harness.prefix}:task:*`)) found.push(...keys);
  return found;
}

export { json } from "@mjg/shared/testing";

/** A seed IMAGINE submit of `prompt`, answered as status and body. */
export async function submitImagine(harness: Harness, prompt: string) {
  const response = await fetch(`${harness.url}/api/v1/trigger/submit`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ action: "IMAGINE", prompt }),
  });
  return { status: response.status, body: await json(response) };
}

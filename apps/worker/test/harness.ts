import { buildApi } from "@mjg/api";
import { type SimAccountOptions, type Simulator, startSimulator } from "@mjg/discord-sim";
import { notifyEnv, notifySettings } from "@mjg/notify";
import {
  type AccountConfig,
  connectRedis,
  createLogger,
  keySpace,
  parseEnv,
  publicTask,
  redisReady,
} from "@mjg/shared";
import { dropPrefix, TEST_REDIS_URL, testRedis, uniquePrefix } from "@mjg/shared/testing";
import type { Redis } from "ioredis";
import { simulatedAccounts } from "../src/sandbox.js";
import { startWorker, type WorkerHandle, type WorkerOptions } from "../src/worker.js";

/** Answers as a client reads them: assertions, not types, check their shape. */
// biome-ignore lint/suspicious/noExplicitAny: see above
type Answer = any;

export interface Stack {
  sim: Simulator;
  accounts: AccountConfig[];
  apiUrl: string;
  prefix: string;
  redis: Redis;
  workers: WorkerHandle[];
  startWorker(extra?: Partial<WorkerOptions>): Promise<WorkerHandle>;
  submit(fields: Record<string, string | number>): Promise<{ status: number; body: Answer }>;
  task(id: string): Promise<Answer>;
  waitForTask(id: string, done?: (task: Answer) => boolean, timeoutMs?: number): Promise<Answer>;
  close(): Promise<void>;
}

export interface StackOptions {
  simAccounts?: number | SimAccountOptions[];
  stepDelayMs?: number;
  timeoutMs?: number;
  workers?: number;
  account?: Partial<AccountConfig>;
  worker?: Partial<WorkerOptions>;
  sim?: Parameters<typeof startSimulator>[0];
}

const quiet = createLogger("test", process.env.TEST_LOG_LEVEL ?? "silent");

/** The whole system on loopback: simulator, API and worker(s) over a real Redis under a fresh prefix. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const prefix = uniquePrefix("e2e");
  const keys = keySpace(prefix);
  const sim = await startSimulator({
    accounts: options.simAccounts ?? 1,
    stepDelayMs: options.stepDelayMs ?? 5,
    heartbeatIntervalMs: 2_000,
    logger: false,
    ...options.sim,
  });
  const accounts = simulatedAccounts(sim, options.account);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const apiRedis = connectRedis(TEST_REDIS_URL, { failFast: true });
  await redisReady(apiRedis);
  const api = await buildApi({
    redis: apiRedis,
    keys,
    logger: false,
    timeoutMs,
    retentionMs: 3_600_000,
    notifyAllowPrivate: true,
  });
  const apiUrl = await api.app.listen({ port: 0, host: "127.0.0.1" });
  const redis = testRedis();
  const workers: WorkerHandle[] = [];

  const stack: Stack = {
    sim,
    accounts,
    apiUrl,
    prefix,
    redis,
    workers,
    async startWorker(extra = {}) {
      const worker = await startWorker({
        redisUrl: TEST_REDIS_URL,
        keys,
        accounts,
        discord: { apiUrl: sim.apiUrl, gatewayUrl: sim.gatewayUrl, activityUrl: sim.activityUrl },
        notify: notifySettings(
          parseEnv(notifyEnv, {
            NOTIFY_ALLOW_PRIVATE: "true",
            NOTIFY_BACKOFF_SECONDS: "0.05,0.1,0.2",
            NOTIFY_TIMEOUT_MS: "5000",
            NOTIFY_CONCURRENCY: "10",
          }),
        ),
        logger: quiet,
        timeoutMs,
        retentionMs: 3_600_000,
        leaseMs: 3_000,
        jobLockMs: 3_000,
        shutdownGraceMs: 5_000,
        queueFullRetryMs: 200,
        // Tests start their workers one by one and wait for them: no settle window unless asked.
        settleMs: 0,
        ...options.worker,
        ...extra,
      });
      workers.push(worker);
      return worker;
    },
    async submit(fields) {
      const response = await fetch(`${apiUrl}/api/v1/trigger/submit`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(fields),
      });
      return { status: response.status, body: await response.json() };
    },
    async task(id) {
      const response = await fetch(`${apiUrl}/api/v1/task/fetch?_id=${id}`);
      return response.json();
    },
    async waitForTask(
      id,
      done = (task) => task.status === "SUCCESS" || task.status === "FAILURE",
      timeoutMs = 45_000,
    ) {
      const until = Date.now() + timeoutMs;
      let last: Answer;
      while (Date.now() < until) {
        last = await stack.task(id);
        if (done(last)) return last;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`task ${id} did not reach the expected state; last seen ${JSON.stringify(last)}`);
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.close().catch(() => undefined)));
      await api.app.close();
      apiRedis.disconnect();
      await sim.close();
      await dropPrefix(redis, prefix);
      redis.disconnect();
    },
  };
  for (let i = 0; i < (options.workers ?? 1); i++) await stack.startWorker();
  return stack;
}

export { publicTask };

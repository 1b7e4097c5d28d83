import { hostname } from "node:os";
import { CallbackQueue, CallbackWorker, type NotifySettings } from "@mjg/notify";
import {
  type AccountConfig,
  AccountDirectory,
  connectRedis,
  type KeySpace,
  redisReady,
  TaskStore,
} from "@mjg/shared";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { AccountLeases } from "./accounts/lease.js";
import { AccountOwner } from "./accounts/owner.js";
import { PacingGate } from "./accounts/pacing.js";
import { AccountRuntime, type DiscordEndpoints } from "./accounts/runtime.js";
import { type OpsServer, startOpsServer, WorkerMetrics, workerReadiness } from "./ops/index.js";
import { TaskLifecycle } from "./tasks/lifecycle.js";
import { TimeoutSweeper } from "./tasks/sweeper.js";

export interface WorkerOptions {
  redisUrl: string;
  keys: KeySpace;
  accounts: AccountConfig[];
  discord: DiscordEndpoints;
  notify: NotifySettings;
  logger: Logger;
  workerId?: string;
  timeoutMs: number;
  retentionMs: number;
  leaseMs?: number;
  jobLockMs?: number;
  shutdownGraceMs?: number;
  queueFullRetryMs?: number;
  /** Set false to leave callback delivery to other processes. @defaultValue true */
  deliverCallbacks?: boolean;
  /** Serve /healthz, /readyz and /metrics on this port (0: a free one); absent: no ops server. */
  ops?: { port: number; host?: string; secret?: string | undefined };
  /** @defaultValue a fresh registry for this worker */
  metrics?: WorkerMetrics;
}

export interface WorkerHandle {
  readonly workerId: string;
  readonly owner: AccountOwner;
  readonly lifecycle: TaskLifecycle;
  readonly sweeper: TimeoutSweeper;
  readonly redis: Redis;
  readonly metrics: WorkerMetrics;
  readonly ops: OpsServer | null;
  close(): Promise<void>;
}

/** Starts a worker process's parts: account ownership, task processing, timeouts and callbacks. */
export async function startWorker(options: WorkerOptions): Promise<WorkerHandle> {
  const { keys, logger } = options;
  const workerId =
    options.workerId ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 6)}`;
  const leaseMs = options.leaseMs ?? 15_000;
  const redis = connectRedis(options.redisUrl, { name: `worker:${workerId}` });
  const bullConnection = connectRedis(options.redisUrl, {
    forBullWorker: true,
    name: `worker-bull:${workerId}`,
  });
  redis.on("error", (error) => logger.warn({ err: error.message }, "redis connection error"));
  bullConnection.on("error", () => undefined);
  await redisReady(redis, 60_000);

  const store = new TaskStore({
    redis,
    keys,
    retentionMs: options.retentionMs,
    timeoutMs: options.timeoutMs,
  });
  const directory = new AccountDirectory(redis, keys);
  const callbacks = new CallbackQueue({ connection: redis, keys, settings: options.notify });
  const metrics = options.metrics ?? new WorkerMetrics();
  const lifecycle = new TaskLifecycle(store, directory, callbacks, logger, (before, record) =>
    metrics.taskChanged(before, record),
  );
  const pacing = new PacingGate(redis, keys);
  const leases = new AccountLeases(redis, keys, workerId, leaseMs);

  const heartbeat = async () => {
    await redis.zadd(keys.workers, Date.now(), workerId);
    await redis.zremrangebyscore(keys.workers, "-inf", Date.now() - leaseMs * 2);
  };
  await heartbeat();
  const heartbeatTimer = setInterval(() => void heartbeat().catch(() => undefined), Math.floor(leaseMs / 3));

  const owner = new AccountOwner({
    accounts: options.accounts,
    leases,
    directory,
    workerId,
    leaseMs,
    logger,
    liveWorkers: () => redis.zcount(keys.workers, Date.now() - leaseMs, "+inf"),
    createRuntime: (account) => {
      const runtime = new AccountRuntime({
        account,
        discord: options.discord,
        store,
        directory,
        lifecycle,
        pacing,
        keys,
        bullConnection,
        logger,
        workerId,
        timeoutMs: options.timeoutMs,
        jobLockMs: options.jobLockMs ?? 30_000,
        queueFullRetryMs: options.queueFullRetryMs ?? 15_000,
      });
      metrics.watchRuntime(runtime);
      return runtime;
    },
  });
  metrics.watchOwner(owner);
  const sweeper = new TimeoutSweeper(store, lifecycle, logger);
  const callbackWorker =
    options.deliverCallbacks === false
      ? null
      : new CallbackWorker({
          connection: bullConnection,
          redis,
          keys,
          settings: options.notify,
          logger,
          retentionMs: options.retentionMs,
          onAttempt: (outcome) => metrics.callbackAttempt(outcome),
        });

  await owner.start();
  // Operators' enable/disable reach the owner at once instead of at its next lease round.
  const accountEvents = redis.duplicate();
  accountEvents.on("error", () => undefined);
  accountEvents.on("message", () => owner.poke());
  await accountEvents.subscribe(keys.accountEvents);
  sweeper.start();
  callbackWorker?.start();
  const ops = options.ops
    ? await startOpsServer({
        ...options.ops,
        metrics,
        logger,
        readiness: () => workerReadiness(redis, owner),
      })
    : null;
  logger.info({ workerId, accounts: options.accounts.length, ops: ops?.url }, "worker started");

  return {
    workerId,
    owner,
    lifecycle,
    sweeper,
    redis,
    metrics,
    ops,
    async close() {
      await ops?.close();
      clearInterval(heartbeatTimer);
      sweeper.stop();
      await accountEvents.quit().catch(() => accountEvents.disconnect());
      await owner.stop(options.shutdownGraceMs ?? 10_000);
      await callbackWorker?.close();
      await callbacks.close();
      await redis.zrem(keys.workers, workerId).catch(() => undefined);
      // Redis last: everything above may still write.
      await bullConnection.quit().catch(() => bullConnection.disconnect());
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

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
import { WorkerHeartbeats } from "./accounts/heartbeat.js";
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
  /** @defaultValue 10000 */
  leaseMs?: number;
  /** Wait before taking accounts, to see the workers starting alongside. @defaultValue min(1000, leaseMs / 5) */
  settleMs?: number;
  /** A gateway session not ready after this long is reported on its account. @defaultValue 15000 */
  gatewayReadyTimeoutMs?: number;
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
  const leaseMs = options.leaseMs ?? 10_000;
  const redis = connectRedis(options.redisUrl, { name: `worker:${workerId}`, autoPipelining: true });
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

  // Beats every fifth of a lease; silent for half a lease counts as gone (before its leases lapse).
  const heartbeats = new WorkerHeartbeats(redis, keys, Math.floor(leaseMs / 2));
  await heartbeats.beat(workerId);
  const heartbeatTimer = setInterval(
    () => void heartbeats.beat(workerId).catch(() => undefined),
    Math.max(100, Math.floor(leaseMs / 5)),
  );

  const owner = new AccountOwner({
    accounts: options.accounts,
    leases,
    directory,
    workerId,
    leaseMs,
    logger,
    liveWorkers: () => heartbeats.live(),
    ...(options.settleMs !== undefined ? { settleMs: options.settleMs } : {}),
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
        ...(options.gatewayReadyTimeoutMs ? { gatewayReadyTimeoutMs: options.gatewayReadyTimeoutMs } : {}),
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
      await heartbeats.leave(workerId).catch(() => undefined);
      // Redis last: everything above may still write.
      await bullConnection.quit().catch(() => bullConnection.disconnect());
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

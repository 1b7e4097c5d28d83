import { notifySettings } from "@mjg/notify";
import { createLogger, keySpace, taskDurations } from "@mjg/shared";
import type { Logger } from "pino";
import { loadAccounts } from "./accounts/config.js";
import type { DiscordEndpoints } from "./accounts/runtime.js";
import type { WorkerEnv } from "./env.js";
import { startSandbox } from "./sandbox.js";
import { startWorker } from "./worker.js";

/** Runs a worker from parsed environment, with the simulator in-process when no account is configured. */
export async function serveWorker(env: WorkerEnv, logger: Logger = createLogger("worker", env.LOG_LEVEL)) {
  let accounts = loadAccounts(env);
  const sandbox = accounts === null;
  let discord: DiscordEndpoints = {
    apiUrl: env.DISCORD_API_URL,
    gatewayUrl: env.DISCORD_GATEWAY_URL,
    activityUrl: env.DISCORD_ACTIVITY_URL,
  };
  let closeSandbox = async () => {};
  if (!accounts) {
    const simulated = await startSandbox({ accounts: env.SIM_ACCOUNTS, stepDelayMs: env.SIM_STEP_DELAY_MS });
    accounts = simulated.accounts;
    discord = simulated.discord;
    closeSandbox = () => simulated.simulator.close();
    logger.info(
      { accounts: accounts.length, apiUrl: discord.apiUrl },
      "sandbox mode: simulated Discord in-process",
    );
  }
  const worker = await startWorker({
    redisUrl: env.REDIS_URL,
    keys: keySpace(env.MJ_KEY_PREFIX),
    accounts,
    discord,
    notify: notifySettings({ ...env, NOTIFY_ALLOW_PRIVATE: env.NOTIFY_ALLOW_PRIVATE ?? sandbox }),
    logger,
    workerId: env.WORKER_ID,
    ...taskDurations(env),
    leaseMs: env.ACCOUNT_LEASE_MS,
    gatewayReadyTimeoutMs: env.GATEWAY_READY_TIMEOUT_MS,
    jobLockMs: env.JOB_LOCK_MS,
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    queueFullRetryMs: env.QUEUE_FULL_RETRY_MS,
    ops:
      env.WORKER_PORT === undefined
        ? undefined
        : { port: env.WORKER_PORT, secret: env.MJ_ADMIN_SECRET ?? env.MJ_API_SECRET },
  });
  return {
    worker,
    sandbox,
    async close() {
      await worker.close();
      await closeSandbox();
    },
  };
}

import { notifySettings } from "@mjg/notify";
import { createLogger, keySpace, loadEnvOrExit } from "@mjg/shared";
import { loadAccounts } from "./accounts/config.js";
import { workerEnv } from "./env.js";
import { startSandbox } from "./sandbox.js";
import { startWorker } from "./worker.js";

const env = loadEnvOrExit(workerEnv);
const logger = createLogger("worker", env.LOG_LEVEL);
let accounts = loadAccountsOrExit();
const sandbox = accounts === null;
let discord = { apiUrl: env.DISCORD_API_URL, gatewayUrl: env.DISCORD_GATEWAY_URL };
let closeSandbox = async () => {};
if (!accounts) {
  const sandbox = await startSandbox({ accounts: env.SIM_ACCOUNTS, stepDelayMs: env.SIM_STEP_DELAY_MS });
  accounts = sandbox.accounts;
  discord = sandbox.discord;
  closeSandbox = () => sandbox.simulator.close();
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
  timeoutMs: env.TASK_TIMEOUT_SECONDS * 1000,
  retentionMs: env.TASK_RETENTION_DAYS * 86_400_000,
  leaseMs: env.ACCOUNT_LEASE_MS,
  jobLockMs: env.JOB_LOCK_MS,
  shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
  queueFullRetryMs: env.QUEUE_FULL_RETRY_MS,
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, async () => {
    logger.info({ signal }, "shutting down: finishing or handing back running tasks");
    await worker.close();
    await closeSandbox();
    process.exit(0);
  });
}

function loadAccountsOrExit() {
  try {
    return loadAccounts(env);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
}

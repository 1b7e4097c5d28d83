// `pnpm start`: API and worker in one process; with no MJ_ACCOUNTS(_FILE), the simulator too (sandbox mode).
import { apiEnv, isSandbox, serveApi } from "@mjg/api";
import { createLogger, EnvError, loadEnvOrExit, onShutdown, prettyLogs } from "@mjg/shared";
import { serveWorker, workerEnv } from "@mjg/worker";
import { chooseRedis, NoRedisError, type RedisChoice } from "./sandbox-redis.js";
import { banner, bannerFields } from "./start-banner.js";

const env = loadEnvOrExit({ ...workerEnv, ...apiEnv });
const logger = createLogger("mj-gateway", env.LOG_LEVEL);
let redis: RedisChoice;
try {
  redis = await chooseRedis(process.env, {
    info: (message) => logger.info(message),
    warn: (message) => logger.warn(message),
  });
} catch (error) {
  if (!(error instanceof NoRedisError)) throw error;
  process.stderr.write(`\n${error.message}\n\n`);
  await new Promise<void>((resolve) => logger.flush(() => resolve()));
  process.exit(1);
}
env.REDIS_URL = redis.url;

try {
  const worker = await serveWorker(env, logger.child({ part: "worker" }));
  const api = await serveApi(env, logger.child({ part: "api" }));
  onShutdown(async () => {
    await api.close();
    await worker.close();
    redis.private?.stop();
  });
  const fields = bannerFields({
    address: api.address,
    sandbox: isSandbox(env),
    redis,
    apiSecret: env.MJ_API_SECRET !== undefined,
    adminSecret: (env.MJ_ADMIN_SECRET ?? env.MJ_API_SECRET) !== undefined,
  });
  if (prettyLogs()) {
    // The pretty transport writes from its own thread: let it finish before the banner.
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 50));
    process.stdout.write(banner(fields));
  } else {
    logger.info(fields, "ready");
  }
} catch (error) {
  if (!(error instanceof EnvError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

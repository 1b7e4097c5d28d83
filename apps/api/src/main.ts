import { connectRedis, createLogger, keySpace, loadEnvOrExit } from "@mjg/shared";
import { buildApi } from "./app.js";
import { apiEnv, isSandbox } from "./env.js";

const env = loadEnvOrExit(apiEnv);
const logger = createLogger("api", env.LOG_LEVEL);
const redis = connectRedis(env.REDIS_URL, { failFast: true, name: "api" });
redis.on("error", (error) => logger.warn({ err: error.message }, "redis connection error"));

const { app } = await buildApi({
  redis,
  keys: keySpace(env.MJ_KEY_PREFIX),
  logger,
  timeoutMs: env.TASK_TIMEOUT_SECONDS * 1000,
  retentionMs: env.TASK_RETENTION_DAYS * 86_400_000,
  bodyLimit: env.BODY_LIMIT_BYTES,
  promptMaxLength: env.PROMPT_MAX_LENGTH,
  apiSecret: env.MJ_API_SECRET,
  notifyAllowPrivate: env.NOTIFY_ALLOW_PRIVATE ?? isSandbox(env),
});
logger.info({ sandbox: isSandbox(env) }, "api starting");
await app.listen({ port: env.PORT, host: env.HOST });

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, async () => {
    logger.info({ signal }, "shutting down");
    await app.close();
    await redis.quit().catch(() => redis.disconnect());
    process.exit(0);
  });
}

import { connectRedis, createLogger, keySpace, taskDurations } from "@mjg/shared";
import { BannedWords, createTranslator } from "@mjg/translate";
import type { Logger } from "pino";
import { buildApi } from "./app.js";
import { type ApiEnv, isSandbox } from "./env.js";

/** Runs the API from parsed environment; returns how to stop it. */
export async function serveApi(env: ApiEnv, logger: Logger = createLogger("api", env.LOG_LEVEL)) {
  const redis = connectRedis(env.REDIS_URL, { failFast: true, name: "api" });
  redis.on("error", (error) => logger.warn({ err: error.message }, "redis connection error"));
  const { app } = await buildApi({
    redis,
    keys: keySpace(env.MJ_KEY_PREFIX),
    logger,
    ...taskDurations(env),
    bodyLimit: env.BODY_LIMIT_BYTES,
    promptMaxLength: env.PROMPT_MAX_LENGTH,
    apiSecret: env.MJ_API_SECRET,
    adminSecret: env.MJ_ADMIN_SECRET,
    overload: { maxEventLoopDelayMs: env.OVERLOAD_EVENT_LOOP_DELAY_MS },
    notifyAllowPrivate: env.NOTIFY_ALLOW_PRIVATE ?? isSandbox(env),
    translator: createTranslator(env),
    bannedWords: BannedWords.fromEnv(env),
  });
  const address = await app.listen({ port: env.PORT, host: env.HOST });
  logger.info({ address, sandbox: isSandbox(env) }, "api listening");
  return {
    address,
    async close() {
      await app.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

import { createServer, type RequestListener } from "node:http";
import formbody from "@fastify/formbody";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { checkNotifyHook } from "@mjg/notify";
import { AccountDirectory, ApiError, type KeySpace, TaskStore } from "@mjg/shared";
import { BannedWords, type Translator } from "@mjg/translate";
import Fastify, { type FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { adminRoutes, adminSecret, QueueCatalog } from "./admin/index.js";
import { capacityRoute } from "./capacity/route.js";
import { TaskEventHub } from "./events/index.js";
import { requireSecret } from "./http/auth.js";
import { frameworkErrorHandler, installErrorEnvelope } from "./http/envelope.js";
import { healthRoutes, requireRedis } from "./http/health.js";
import { installMetrics, type OverloadOptions } from "./http/metrics.js";
import { installMultipart } from "./http/multipart.js";
import { installRetryAfter } from "./http/retry-after.js";
import { IdempotencyStore, idempotencyHooks } from "./idempotency/index.js";
import { mjApi } from "./mj/index.js";
import { submitBatchRoute } from "./submit/batch.js";
import { submitRoutes } from "./submit/route.js";
import { TaskSubmitter } from "./submit/service.js";
import { taskRoutes } from "./tasks/routes.js";

export interface ApiOptions {
  /** Fail-fast connection (see connectRedis): a Redis outage must answer 503, not hang. */
  redis: Redis;
  keys: KeySpace;
  logger: Logger | false;
  timeoutMs: number;
  retentionMs: number;
  bodyLimit?: number;
  promptMaxLength?: number;
  apiSecret?: string | undefined;
  /** Secret of /admin and /metrics; defaults to apiSecret; neither set leaves them open. */
  adminSecret?: string | undefined;
  /** 503 OVERLOADED while the event loop lags; @defaultValue { maxEventLoopDelayMs: 1000 } */
  overload?: OverloadOptions;
  /** Allow notifyHook targets on loopback/private networks (sandbox mode). @defaultValue false */
  notifyAllowPrivate?: boolean;
  /** Fills `promptEn`; null or absent: `promptEn` = `prompt`. */
  translator?: Translator | null;
  bannedWords?: BannedWords;
  /** Heartbeat comment interval of event streams (ms). @defaultValue 15000 */
  heartbeatMs?: number;
}

export interface Api {
  app: FastifyInstance;
  store: TaskStore;
  submitter: TaskSubmitter;
  events: TaskEventHub;
}

// Long GET query strings (a 100 KB prompt) must reach the validator and get a 400, not a bare 431.
const MAX_HEADER_BYTES = 256 * 1024;

export async function buildApi(options: ApiOptions): Promise<Api> {
  const app = Fastify({
    loggerInstance: options.logger || undefined,
    logger: options.logger === false ? false : undefined,
    bodyLimit: options.bodyLimit ?? 262_144,
    routerOptions: { ignoreDuplicateSlashes: true, ignoreTrailingSlash: true },
    requestIdHeader: "x-request-id",
    frameworkErrors: frameworkErrorHandler,
    serverFactory: (handler: RequestListener) => createServer({ maxHeaderSize: MAX_HEADER_BYTES }, handler),
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;

  // Requests are validated by zod in the handlers; the route schemas only document them.
  app.setValidatorCompiler(() => (value) => ({ value }));
  app.setSerializerCompiler(() => (value) => JSON.stringify(value));
  installErrorEnvelope(app);
  installRetryAfter(app);
  // One set of queue handles for the dashboard, the accounts view and the metrics scrape.
  const catalog = new QueueCatalog(
    options.redis,
    options.keys,
    new AccountDirectory(options.redis, options.keys),
  );
  app.addHook("onClose", async () => catalog.close());
  await installMetrics(app, { ...options, catalog, secret: adminSecret(options) });

  await app.register(formbody);
  await installMultipart(app, options.bodyLimit ?? 262_144);
  // Clients that post JSON as text/plain (a bare fetch) still work; anything else reads as a form.
  app.addContentTypeParser("text/plain", { parseAs: "string" }, (_request, body, done) => {
    const text = String(body).trim();
    if (text === "") return done(null, {});
    if (text.startsWith("{")) {
      try {
        return done(null, JSON.parse(text));
      } catch {
        return done(new ApiError("INVALID_JSON"), undefined);
      }
    }
    return done(null, Object.fromEntries(new URLSearchParams(text)));
  });

  await app.register(swagger, {
    openapi: {
      info: { title: "Midjourney API gateway", version: "0.1.0" },
      components: {
        securitySchemes: { apiSecret: { type: "apiKey", in: "header", name: "mj-api-secret" } },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });

  healthRoutes(app, options.redis);
  await adminRoutes(app, { ...options, catalog, secret: adminSecret(options) });

  const store = new TaskStore({
    redis: options.redis,
    keys: options.keys,
    retentionMs: options.retentionMs,
    timeoutMs: options.timeoutMs,
  });
  const directory = new AccountDirectory(options.redis, options.keys);
  const submitter = new TaskSubmitter({
    store,
    directory,
    keys: options.keys,
    connection: options.redis,
    checkNotifyHook: async (url) => {
      const check = await checkNotifyHook(url, options.notifyAllowPrivate ?? false);
      if (!check.ok)
        throw new ApiError(check.reason === "private" ? "NOTIFY_HOOK_PRIVATE" : "NOTIFY_HOOK_INVALID");
    },
    translator: options.translator ?? null,
    bannedWords: options.bannedWords ?? new BannedWords([]),
  });

  const events = new TaskEventHub({
    redis: options.redis,
    keys: options.keys,
    store,
    logger: options.logger,
    heartbeatMs: options.heartbeatMs,
  });
  // Open streams would hold the server open: they end before it closes.
  app.addHook("preClose", async () => events.endAll());
  app.addHook("onClose", async () => events.close());
  const idempotency = idempotencyHooks(new IdempotencyStore(options.redis, options.keys));
  await app.register(async (api) => {
    if (options.apiSecret) api.addHook("onRequest", requireSecret(options.apiSecret));
    api.addHook("onRequest", requireRedis(options.redis));
    submitRoutes(api, submitter, options.promptMaxLength ?? 6_000, idempotency);
    submitBatchRoute(api, submitter, options.promptMaxLength ?? 6_000, idempotency);
    taskRoutes(api, store, options.redis, events);
    capacityRoute(api, "/api/v1/capacity", ["seed"], {
      directory,
      redis: options.redis,
      keys: options.keys,
    });
  });
  await mjApi(app, {
    redis: options.redis,
    keys: options.keys,
    apiSecret: options.apiSecret,
    store,
    submitter,
    directory: new AccountDirectory(options.redis, options.keys),
    promptMaxLength: options.promptMaxLength ?? 6_000,
    idempotency,
    events,
  });

  app.addHook("onClose", async () => submitter.close());
  return { app, store, submitter, events };
}

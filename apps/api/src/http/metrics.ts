import underPressure from "@fastify/under-pressure";
import { isAvailable, processMetrics } from "@mjg/shared";
import type { FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { requireAdmin } from "../admin/guard.js";
import { DEPTH_STATES, type QueueCatalog } from "../admin/queues.js";
import { sendOverloaded } from "./envelope.js";

export interface OverloadOptions {
  /** Mean event-loop delay (ms) over a sample above which requests get 503; 0 turns the guard off. */
  maxEventLoopDelayMs: number;
  /** @defaultValue 1000 */
  sampleIntervalMs?: number;
}

export interface MetricsOptions {
  redis: Redis;
  /** The queues and accounts scrapes report on (shared with the admin routes). */
  catalog: QueueCatalog;
  /** Undefined: /metrics is open (sandbox and development). */
  secret: string | undefined;
  /** @defaultValue { maxEventLoopDelayMs: 1000 } */
  overload?: OverloadOptions;
}

const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const UNMATCHED_ROUTE = "unmatched";

/**
 * Request metrics on every route, the 503 guard against a stalled event loop, and GET /metrics with
 * queue depths and account loads read from Redis at scrape time. Call before registering routes.
 */
export async function installMetrics(app: FastifyInstance, options: MetricsOptions): Promise<Registry> {
  const overload = options.overload ?? { maxEventLoopDelayMs: 1_000 };
  if (overload.maxEventLoopDelayMs > 0) {
    await app.register(underPressure, {
      maxEventLoopDelay: overload.maxEventLoopDelayMs,
      sampleInterval: overload.sampleIntervalMs ?? 1_000,
      // Sent here; Fastify skips the route once the reply is out.
      pressureHandler: (request, reply) => sendOverloaded(request, reply),
    });
  }

  const registry = new Registry();
  const requests = new Counter({
    name: "http_requests_total",
    help: "HTTP requests answered, by route pattern, method and status",
    labelNames: ["route", "method", "status"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "http_request_duration_seconds",
    help: "Time to answer an HTTP request, by route pattern",
    labelNames: ["route"],
    buckets: HTTP_BUCKETS,
    registers: [registry],
  });
  // Each label set's child is looked up once, not hashed from its labels on every request. The sets
  // are bounded (route patterns × methods × statuses).
  const counted = new Map<string, { inc(): void }>();
  const timed = new Map<string, { observe(seconds: number): void }>();
  app.addHook("onResponse", (request, reply, done) => {
    // The pattern, never the raw URL: ids and query strings would explode the label set.
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    const status = reply.statusCode;
    const key = `${status} ${request.method} ${route}`;
    let counter = counted.get(key);
    if (!counter) {
      counter = requests.labels({ route, method: request.method, status: String(status) });
      counted.set(key, counter);
    }
    counter.inc();
    let timer = timed.get(route);
    if (!timer) {
      timer = duration.labels({ route });
      timed.set(route, timer);
    }
    timer.observe(reply.elapsedTime / 1_000);
    done();
  });

  const readRedis = scrapedGauges(registry, options.catalog, options.redis);

  await app.register(async (scope) => {
    if (options.secret) scope.addHook("onRequest", requireAdmin(options.secret));
    scope.get("/metrics", { schema: { hide: true } }, async (_request, reply) => {
      await readRedis();
      const text = (await registry.metrics()) + (await processMetrics().metrics());
      return reply.header("content-type", registry.contentType).send(text);
    });
  });
  return registry;
}

/** Gauges read from Redis at scrape time (a handful of cheap counts); returns the reader. */
function scrapedGauges(registry: Registry, catalog: QueueCatalog, redis: Redis): () => Promise<void> {
  const depth = new Gauge({
    name: "mj_queue_jobs",
    help: "Jobs in each BullMQ queue by state (waiting includes prioritized and paused)",
    labelNames: ["queue", "state"],
    registers: [registry],
  });
  const load = new Gauge({
    name: "mj_account_load",
    help: "Unfinished tasks held by each account (running and waiting)",
    labelNames: ["account"],
    registers: [registry],
  });
  const available = new Gauge({
    name: "mj_account_available",
    help: "1 when the account is enabled and not disabled by an error",
    labelNames: ["account"],
    registers: [registry],
  });
  const redisUp = new Gauge({
    name: "mj_redis_up",
    help: "1 when the last scrape could read Redis",
    registers: [registry],
  });
  return async () => {
    depth.reset();
    load.reset();
    available.reset();
    try {
      if (redis.status !== "ready") throw new Error("redis not ready");
      const { accounts, queues } = await catalog.refresh();
      const [depths, loads] = await Promise.all([
        catalog.depths(queues),
        catalog.directory.loads(accounts.map((account) => account.id)),
      ]);
      for (const [queue, counts] of depths) {
        for (const state of DEPTH_STATES) depth.set({ queue, state }, counts[state]);
      }
      accounts.forEach((account, i) => {
        load.set({ account: account.id }, loads[i] ?? 0);
        available.set({ account: account.id }, isAvailable(account) ? 1 : 0);
      });
      redisUp.set(1);
    } catch {
      redisUp.set(0);
    }
  };
}

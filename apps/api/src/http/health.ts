import { ApiError } from "@mjg/shared";
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from "fastify";
import type { Redis } from "ioredis";

/** onRequest hook: while Redis is away, answer 503 at once instead of waiting on a connection that is not there. */
export function requireRedis(redis: Redis) {
  // A callback hook, not an async one: it runs on every request, and a promise per hook shows.
  return (_request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    done(redis.status === "ready" ? undefined : new ApiError("REDIS_UNAVAILABLE"));
  };
}

/** /healthz: the process answers. /readyz: and Redis answers too. */
export function healthRoutes(app: FastifyInstance, redis: Redis): void {
  app.get("/healthz", { schema: { hide: true } }, async () => ({ status: "ok" }));
  app.get("/readyz", { schema: { hide: true } }, async (_request, reply) => {
    try {
      await redis.ping();
      return { status: "ready", redis: "up" };
    } catch {
      return reply.status(503).send({ status: "not ready", redis: "down" });
    }
  });
}

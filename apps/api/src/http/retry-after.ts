import { MJ_RETRY_AFTER_SECONDS } from "@mjg/shared";
import type { FastifyInstance } from "fastify";

/** Seconds a client waits before retrying a 429 or 503, on both APIs alike. */
export const RETRY_AFTER_SECONDS = MJ_RETRY_AFTER_SECONDS;

/**
 * Every 429 and 503 leaves with `Retry-After`, whichever path sent it (catalogue refusals, the
 * overload guard, /readyz): clients back off by the header instead of guessing.
 */
export function installRetryAfter(app: FastifyInstance): void {
  app.addHook("onSend", (_request, reply, payload, done) => {
    const status = reply.statusCode;
    if ((status === 429 || status === 503) && !reply.hasHeader("retry-after"))
      reply.header("retry-after", String(RETRY_AFTER_SECONDS));
    done(null, payload);
  });
}

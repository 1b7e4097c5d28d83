import { ApiError, refusal } from "@mjg/shared";
import type { FastifyReply, FastifyRequest } from "fastify";
import { requireSecret } from "../http/auth.js";

/** The secret of the admin surfaces: its own, else the API's; none configured means open (sandbox). */
export function adminSecret(options: { adminSecret?: string | undefined; apiSecret?: string | undefined }) {
  return options.adminSecret || options.apiSecret || undefined;
}

/**
 * onRequest hook for /admin and /metrics. It answers the refusal itself: bull-board installs its own
 * error handler in its scope, which would not speak the seed's envelope.
 */
export function requireAdmin(secret: string) {
  const check = requireSecret(secret);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      await check(request);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return reply.status(error.status).send(refusal(error.message));
    }
  };
}

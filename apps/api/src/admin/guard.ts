import { ApiError, refusal, secretMatches } from "@mjg/shared";
import type { FastifyReply, FastifyRequest } from "fastify";
import { requireSecret } from "../http/auth.js";

/** The secret of the admin surfaces: its own, else the API's; none configured means open (sandbox). */
export function adminSecret(options: { adminSecret?: string | undefined; apiSecret?: string | undefined }) {
  return options.adminSecret || options.apiSecret || undefined;
}

/** The password of `Authorization: Basic …` (any user name): how a browser presents the secret. */
export function basicPassword(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (!authorization?.startsWith("Basic ")) return undefined;
  const decoded = Buffer.from(authorization.slice("Basic ".length), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon === -1 ? undefined : decoded.slice(colon + 1);
}

/**
 * onRequest hook for /admin and /metrics: the `mj-api-secret` header, a Bearer token, or Basic auth
 * with the secret as password. It answers the refusal itself: bull-board installs its own error
 * handler in its scope, which would not speak the seed's envelope.
 */
export function requireAdmin(secret: string) {
  const check = requireSecret(secret);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (secretMatches(basicPassword(request), secret)) return;
    try {
      await check(request);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      // Makes a browser ask for the password, so the dashboard opens without a header extension.
      reply.header("www-authenticate", 'Basic realm="mj admin", charset="UTF-8"');
      return reply.status(error.status).send(refusal(error.message));
    }
  };
}

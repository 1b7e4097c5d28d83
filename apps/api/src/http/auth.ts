import { ApiError, presentedSecret, secretMatches } from "@mjg/shared";
import type { FastifyRequest } from "fastify";

/** onRequest hook: refuses with 401 unless the request presents the secret. */
export function requireSecret(secret: string) {
  return async (request: FastifyRequest) => {
    if (!secretMatches(presentedSecret(request.headers), secret)) throw new ApiError("UNAUTHORIZED");
  };
}

import { timingSafeEqual } from "node:crypto";
import { ApiError } from "@mjg/shared";
import type { FastifyRequest } from "fastify";

/** Constant-time comparison that does not leak the secret's length through early exits. */
export function secretMatches(given: string | undefined, secret: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function presentedSecret(request: FastifyRequest): string | undefined {
  const header = request.headers["mj-api-secret"];
  if (typeof header === "string") return header;
  const authorization = request.headers.authorization;
  if (authorization?.startsWith("Bearer ")) return authorization.slice("Bearer ".length);
  return undefined;
}

/** onRequest hook: refuses with 401 unless the request presents the secret. */
export function requireSecret(secret: string) {
  return async (request: FastifyRequest) => {
    if (!secretMatches(presentedSecret(request), secret)) throw new ApiError("UNAUTHORIZED");
  };
}

import { createHash, timingSafeEqual } from "node:crypto";

/** Constant-time comparison; digests of equal length keep even the secret's length from leaking. */
export function secretMatches(given: string | undefined, secret: string): boolean {
  if (given === undefined) return false;
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(given), digest(secret));
}

/** The secret a request presents: the `mj-api-secret` header, else `Authorization: Bearer …`. */
export function presentedSecret(headers: Record<string, string | string[] | undefined>): string | undefined {
  const header = headers["mj-api-secret"];
  if (typeof header === "string") return header;
  const authorization = headers.authorization;
  if (typeof authorization === "string" && authorization.startsWith("Bearer "))
    return authorization.slice("Bearer ".length);
  return undefined;
}

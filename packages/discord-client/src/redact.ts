const REDACTED = "[REDACTED]";

/**
 * Replaces every occurrence of `token` in `text` with `[REDACTED]`.
 * The part after the last dot (a user token's HMAC, the secret half) is hidden on its own too,
 * so a token that was cut or re-joined somewhere still does not leak.
 */
export function redactToken(text: string, token: string): string {
  if (!token) return text;
  let out = text.replaceAll(token, REDACTED);
  const secret = token.slice(token.lastIndexOf(".") + 1);
  if (secret !== token && secret.length >= 16) out = out.replaceAll(secret, REDACTED);
  return out;
}

/** The message of anything thrown, with the token removed. */
export function safeErrorMessage(err: unknown, token: string): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return redactToken(text, token);
}

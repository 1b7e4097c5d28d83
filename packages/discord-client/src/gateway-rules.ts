// Pure decisions of the gateway client: close codes, resume URLs, backoff, replay dedupe.

/** What to do after the socket closed with `code` (discord-protocol.md §3.5, §3.6). */
export type CloseAction = "fatal" | "identify" | "resume";

/** 4004 bad token and 4010–4014 (shard / version / intents) are never retried (§3.6). */
export function isFatalCloseCode(code: number): boolean {
  return code === 4004 || (code >= 4010 && code <= 4014);
}

export function closeAction(code: number): CloseAction {
  if (isFatalCloseCode(code)) return "fatal";
  // 4007 invalid seq and 4009 session timed out need a new session (§3.6).
  if (code === 4007 || code === 4009) return "identify";
  // Anything else, including a drop without a close frame (1006), is resumable (§3.5);
  // a session the server no longer knows is answered by op 9 false, which falls back to identify.
  return "resume";
}

/**
 * The URL to resume on: `READY.resume_gateway_url` with the original query string (§3.1),
 * or the original URL when the resume URL is unusable.
 */
export function resumeUrl(resumeGatewayUrl: string | null, originalUrl: string): string {
  if (!resumeGatewayUrl) return originalUrl;
  try {
    const resume = new URL(resumeGatewayUrl);
    if (resume.protocol !== "ws:" && resume.protocol !== "wss:") return originalUrl;
    const original = new URL(originalUrl);
    if (!resume.search) resume.search = original.search;
    return resume.toString();
  } catch {
    return originalUrl;
  }
}

/** Exponential backoff with jitter: about 1 s for the first attempt, capped at 30 s. */
export function defaultReconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(30_000, 1_000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/** Discord recommends a random 1–5 s wait before identifying or resuming after op 9 (§3.5). */
export function defaultInvalidSessionDelayMs(random: () => number = Math.random): number {
  return Math.round(1_000 + 4_000 * random());
}

/** A dispatch whose `s` is not past the last one seen is a replay (§3.4) and is not emitted again. */
export function isReplayedDispatch(lastSeq: number | null, s: number | null): boolean {
  return s !== null && lastSeq !== null && s <= lastSeq;
}

/** Client frames larger than this make Discord close with 4002 (§3.2). */
export const MAX_CLIENT_FRAME_BYTES = 4096;

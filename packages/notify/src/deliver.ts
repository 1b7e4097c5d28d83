import { Agent, request } from "undici";
import { parseRetryAfter } from "./backoff.js";
import type { CallbackJob } from "./events.js";
import { guardedLookup, literalTargetProblem, PrivateTargetError } from "./guard.js";
import { signatureHeaders } from "./signature.js";

export const USER_AGENT = "mj-gateway-notify/0.1";
/** Receivers' answers are read this far, then dropped: nobody needs them, and they may be huge. */
export const RESPONSE_CAP_BYTES = 64 * 1024;

export type DeliveryOutcome =
  | { kind: "delivered"; status: number }
  /** The receiver answered 410 Gone: never try again. */
  | { kind: "gone"; status: number }
  /** The target is private or not a usable URL: trying again cannot help. */
  | { kind: "refused"; error: string }
  | { kind: "retry"; status: number | null; error: string | null; retryAfterMs: number | null };

export interface DeliveryOptions {
  secret?: string;
  allowPrivate: boolean;
  timeoutMs: number;
}

/** The connection pool of one callback worker; the SSRF guard sits in its DNS lookup. */
export function deliveryAgent(options: DeliveryOptions): Agent {
  return new Agent({
    connect: { timeout: options.timeoutMs, ...(options.allowPrivate ? {} : { lookup: guardedLookup }) },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    keepAliveTimeout: 4_000,
  });
}

function findCause(error: unknown, depth = 0): unknown {
  if (error instanceof PrivateTargetError || depth > 4) return error;
  if (error instanceof Error && error.cause) {
    const inner = findCause(error.cause, depth + 1);
    if (inner instanceof PrivateTargetError) return inner;
  }
  return error;
}

function describeError(error: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `timeout after ${timeoutMs} ms`;
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
}

async function discardBody(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<void> {
  let read = 0;
  for await (const chunk of body) {
    read += chunk.length;
    if (read > RESPONSE_CAP_BYTES) {
      body.destroy();
      return;
    }
  }
}

/** One POST of an event to its receiver; never throws. */
export async function deliverOnce(
  job: CallbackJob,
  agent: Agent,
  options: DeliveryOptions,
  now: () => number = Date.now,
): Promise<DeliveryOutcome> {
  let url: URL;
  try {
    url = new URL(job.url);
  } catch {
    return { kind: "refused", error: "invalid URL" };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { kind: "refused", error: `unsupported scheme ${url.protocol}` };
  }
  if (!options.allowPrivate) {
    const problem = literalTargetProblem(url);
    if (problem) return { kind: "refused", error: `refused: ${problem}` };
  }
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": USER_AGENT,
    "x-mjg-event": job.event,
  };
  // A fresh timestamp per attempt: receivers reject old ones to stop replays.
  if (options.secret) {
    Object.assign(headers, signatureHeaders(options.secret, job.eventId, Math.floor(now() / 1000), job.body));
  }
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    const response = await request(url, {
      method: "POST",
      headers,
      body: job.body,
      dispatcher: agent,
      signal,
    });
    await discardBody(response.body).catch(() => undefined);
    const status = response.statusCode;
    if (status >= 200 && status < 300) return { kind: "delivered", status };
    if (status === 410) return { kind: "gone", status };
    const retryAfter = response.headers["retry-after"];
    return {
      kind: "retry",
      status,
      error: status >= 300 && status < 400 ? `redirect not followed (${status})` : `HTTP ${status}`,
      retryAfterMs: parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, now()),
    };
  } catch (error) {
    const cause = findCause(error);
    if (cause instanceof PrivateTargetError) return { kind: "refused", error: `refused: ${cause.message}` };
    return {
      kind: "retry",
      status: null,
      error: describeError(cause, signal.aborted, options.timeoutMs),
      retryAfterMs: null,
    };
  }
}

import { z } from "zod";

export type InteractionResult =
  | { kind: "ok" }
  | { kind: "rate_limited"; retryAfterMs: number; global: boolean; scope?: string }
  | { kind: "unauthorized"; status: 401 | 403; message: string }
  | { kind: "bad_request"; status: number; code: number | null; message: string }
  | { kind: "not_found"; code: number | null; message: string }
  | { kind: "server_error"; status: number; message: string };

export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** Discord's error body `{code, message, errors?}` and the 429 body `{retry_after, global}` (§1.6). */
export const DiscordErrorBodySchema = z.object({
  code: z.number().int().optional(),
  message: z.string().optional(),
  errors: z.unknown().optional(),
  retry_after: z.number().nonnegative().optional(),
  global: z.boolean().optional(),
});
export type DiscordErrorBody = z.infer<typeof DiscordErrorBodySchema>;

/** Used when a 429 names no wait at all. */
const DEFAULT_RETRY_AFTER_MS = 5_000;
const MAX_MESSAGE_CHARS = 500;

function header(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export function parseErrorBody(text: string): DiscordErrorBody | null {
  if (!text) return null;
  try {
    const parsed = DiscordErrorBodySchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** `{"data":{"id":{"_errors":[{"message":"…"}]}}}` → `data.id: …` (the shape of 50035 bodies, §1.6). */
export function flattenFormErrors(errors: unknown, path: string[] = []): string[] {
  if (typeof errors !== "object" || errors === null) return [];
  const lines: string[] = [];
  for (const [key, value] of Object.entries(errors)) {
    if (key === "_errors" && Array.isArray(value)) {
      for (const item of value) {
        const message = (item as { message?: unknown })?.message;
        if (typeof message === "string") lines.push(`${path.join(".") || "body"}: ${message}`);
      }
    } else {
      lines.push(...flattenFormErrors(value, [...path, key]));
    }
  }
  return lines;
}

/** Seconds (possibly fractional) as Discord and Cloudflare send them → whole milliseconds. */
function secondsToMs(value: string | number | undefined): number | null {
  if (value === undefined) return null;
  const seconds = typeof value === "number" ? value : Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds * 1000) : null;
}

/** Body `retry_after` first, then `Retry-After`, then `X-RateLimit-Reset-After` (§1.6). */
export function retryAfterMs(body: DiscordErrorBody | null, headers: ResponseHeaders): number {
  return (
    secondsToMs(body?.retry_after) ??
    secondsToMs(header(headers, "retry-after")) ??
    secondsToMs(header(headers, "x-ratelimit-reset-after")) ??
    DEFAULT_RETRY_AFTER_MS
  );
}

function describe(body: DiscordErrorBody | null, status: number): string {
  if (!body?.message) return `HTTP ${status}`;
  const details = flattenFormErrors(body.errors);
  const text = details.length > 0 ? `${body.message} (${details.join("; ")})` : body.message;
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;
}

/** Maps an HTTP answer of Discord to what the caller should do (§1.6). */
export function classifyResponse(
  status: number,
  headers: ResponseHeaders,
  bodyText: string,
): InteractionResult {
  if (status >= 200 && status < 300) return { kind: "ok" };
  const body = parseErrorBody(bodyText);
  if (status === 429) {
    // A non-JSON 429 comes from Cloudflare and bans the whole IP (§1.6).
    const fromCloudflare = body === null;
    const scope = header(headers, "x-ratelimit-scope") ?? (fromCloudflare ? "cloudflare" : undefined);
    const global =
      body?.global === true || header(headers, "x-ratelimit-global") === "true" || fromCloudflare;
    return {
      kind: "rate_limited",
      retryAfterMs: retryAfterMs(body, headers),
      global,
      ...(scope ? { scope } : {}),
    };
  }
  const message = describe(body, status);
  const code = body?.code ?? null;
  if (status === 401 || status === 403) return { kind: "unauthorized", status, message };
  if (status === 404) return { kind: "not_found", code, message };
  if (status >= 500) return { kind: "server_error", status, message };
  // Redirects are never followed: Discord's API does not send them, so one means a wrong URL.
  if (status >= 300 && status < 400)
    return { kind: "bad_request", status, code: null, message: `unexpected redirect (HTTP ${status})` };
  return { kind: "bad_request", status, code, message };
}

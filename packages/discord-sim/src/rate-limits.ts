import type { ServerResponse } from "node:http";
import { sendJson } from "./http-util.js";

/** 429s on demand, with Discord's body and headers (discord-protocol.md §1.6). */
interface Pending {
  retryAfter: number;
  count: number;
}

export class RateLimits {
  private readonly pending = new Map<string, Pending[]>();
  hits = 0;

  add(target: string, retryAfter: number, count: number): void {
    const list = this.pending.get(target) ?? [];
    list.push({ retryAfter, count });
    this.pending.set(target, list);
  }

  /** Consume one pending 429 for this account (global ones first); null when the request may pass. */
  take(accountId: string | undefined): { retryAfter: number; global: boolean } | null {
    for (const [key, global] of [
      ["global", true],
      [accountId, false],
    ] as const) {
      if (key === undefined) continue;
      const list = this.pending.get(key);
      const head = list?.[0];
      if (!list || !head) continue;
      if (--head.count <= 0) list.shift();
      this.hits++;
      return { retryAfter: head.retryAfter, global };
    }
    return null;
  }
}

export function sendRateLimited(res: ServerResponse, limit: { retryAfter: number; global: boolean }): void {
  const resetAt = Date.now() / 1000 + limit.retryAfter;
  const headers: Record<string, string> = {
    "retry-after": String(Math.ceil(limit.retryAfter)),
    "x-ratelimit-limit": "5",
    "x-ratelimit-remaining": "0",
    "x-ratelimit-reset": resetAt.toFixed(3),
    "x-ratelimit-reset-after": limit.retryAfter.toFixed(3),
    "x-ratelimit-bucket": "b3f0e1d2c4a5968778695a4b3c2d1e0f",
    "x-ratelimit-scope": limit.global ? "global" : "user",
  };
  if (limit.global) headers["x-ratelimit-global"] = "true";
  sendJson(
    res,
    429,
    { message: "You are being rate limited.", retry_after: limit.retryAfter, global: limit.global },
    headers,
  );
}

/** Headers Discord also sends on successful responses. */
export const OK_RATE_HEADERS = {
  "x-ratelimit-limit": "5",
  "x-ratelimit-remaining": "4",
  "x-ratelimit-reset-after": "1.000",
  "x-ratelimit-bucket": "b3f0e1d2c4a5968778695a4b3c2d1e0f",
};

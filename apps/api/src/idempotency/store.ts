import { randomUUID } from "node:crypto";
import { type KeySpace, RedisScript } from "@mjg/shared";
import type { Redis } from "ioredis";
import { z } from "zod";
import { sha256 } from "./fingerprint.js";

/** A first answer is replayed for this long (issue 13: 24 h). */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
// A claim whose process died mid-request frees the key after this long (upload waits up to 60 s).
const PENDING_TTL_MS = 90_000;

/** What is kept under a key: a claim while the first request runs, then its answer. */
const EntrySchema = z.discriminatedUnion("state", [
  z.object({ state: z.literal("pending"), fingerprint: z.string(), token: z.string() }),
  z.object({
    state: z.literal("done"),
    fingerprint: z.string(),
    status: z.number().int(),
    contentType: z.string(),
    body: z.string(),
  }),
]);
type Entry = z.infer<typeof EntrySchema>;

export interface StoredAnswer {
  status: number;
  contentType: string;
  body: string;
}

export type Claim =
  /** This request runs; `settle` or `abandon` it with the token. */
  | { outcome: "claimed"; token: string }
  | { outcome: "replay"; answer: StoredAnswer }
  /** The key belongs to another request. */
  | { outcome: "conflict" }
  /** The same request is still running elsewhere. */
  | { outcome: "pending" };

// Writes only while the claim is still this request's (one key: one slot on a cluster).
const SETTLE_SCRIPT = new RedisScript(`
local current = redis.call('GET', KEYS[1])
if not current or cjson.decode(current)['token'] ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1
`);

/**
 * Idempotency keys in Redis: SET NX decides which of concurrent duplicates (in any API process)
 * runs; the others wait for its answer. Only successes are kept: a refused request frees its key, so
 * a retry after a 429 can still succeed.
 */
export class IdempotencyStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: KeySpace,
  ) {}

  async claim(key: string, fingerprint: string): Promise<Claim> {
    const redisKey = this.redisKey(key);
    const token = randomUUID();
    const pending: Entry = { state: "pending", fingerprint, token };
    const taken = await this.redis.set(redisKey, JSON.stringify(pending), "PX", PENDING_TTL_MS, "NX");
    if (taken === "OK") return { outcome: "claimed", token };
    const raw = await this.redis.get(redisKey);
    // Freed between the two reads (the first request was refused): try again.
    if (raw === null) return this.claim(key, fingerprint);
    const entry = parseEntry(raw);
    if (!entry || entry.fingerprint !== fingerprint) return { outcome: "conflict" };
    if (entry.state === "pending") return { outcome: "pending" };
    return {
      outcome: "replay",
      answer: { status: entry.status, contentType: entry.contentType, body: entry.body },
    };
  }

  /** Claims, waiting while a duplicate runs elsewhere; still "pending" after `waitMs`. */
  async claimOrWait(key: string, fingerprint: string, waitMs: number): Promise<Claim> {
    const until = Date.now() + waitMs;
    let pause = 10;
    for (;;) {
      const claim = await this.claim(key, fingerprint);
      if (claim.outcome !== "pending" || Date.now() >= until) return claim;
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(250, pause * 2);
    }
  }

  /** Keeps the first answer for 24 h. */
  async settle(key: string, fingerprint: string, token: string, answer: StoredAnswer): Promise<void> {
    const entry: Entry = { state: "done", fingerprint, ...answer };
    await SETTLE_SCRIPT.run(
      this.redis,
      [this.redisKey(key)],
      [token, JSON.stringify(entry), IDEMPOTENCY_TTL_MS],
    );
  }

  /** Frees the key of a refused request. */
  async abandon(key: string, token: string): Promise<void> {
    await SETTLE_SCRIPT.run(this.redis, [this.redisKey(key)], [token, "", 0]);
  }

  private redisKey(key: string): string {
    // Digested: any visible key fits the key layout, and a cluster spreads them by their hash.
    return this.keys.idempotency(sha256(key));
  }
}

function parseEntry(raw: string): Entry | null {
  try {
    const parsed = EntrySchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

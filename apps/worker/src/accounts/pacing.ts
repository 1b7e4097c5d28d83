import { type KeySpace, RedisScript } from "@mjg/shared";
import type { Redis } from "ioredis";

// Redis's own clock decides, so processes on hosts with skewed clocks still keep the gap.
// The key holds "<nextAt>" (free from then on) or "H<until>" (a request in flight, held until then):
// the gap is counted from when the request in flight is done.
const CLAIM_SCRIPT = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = redis.call('GET', KEYS[1]) or '0'
local inFlight = string.sub(v, 1, 1) == 'H'
local nextAt = tonumber(inFlight and string.sub(v, 2) or v)
if now < nextAt then return {nextAt - now, inFlight and 1 or 0} end
redis.call('SET', KEYS[1], 'H' .. (now + tonumber(ARGV[1])), 'PX', tonumber(ARGV[1]) + 60000)
return {0, now + tonumber(ARGV[1])}
`);
// Only the holder's own claim is turned into "gap from now"; a lapsed hold is left alone.
const DONE_SCRIPT = new RedisScript(`
if redis.call('GET', KEYS[1]) ~= 'H' .. ARGV[2] then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('SET', KEYS[1], now + tonumber(ARGV[1]), 'PX', tonumber(ARGV[1]) + 60000)
return 1
`);
// While another request is in flight, look again this often (it usually takes one HTTP round trip).
const IN_FLIGHT_POLL_MS = 20;

export interface PacingRule {
  minIntervalMs: number;
  jitterMs: number;
}

/** Proof of a claimed send slot; `done()` once the request has been answered (or was not sent). */
export interface PacingTicket {
  done(): Promise<void>;
}

const NO_PACING: PacingTicket = { done: async () => undefined };

/**
 * The gap between two interactions of an account, held across every worker process. The gap runs
 * from the end of one request to the start of the next, so a slow send (an event-loop stall, a slow
 * network) can never bring two requests closer together at Discord than the gap.
 */
export class PacingGate {
  constructor(
    private readonly redis: Redis,
    private readonly keys: KeySpace,
    /** Longest a claim holds the account when its holder never says done (it died). */
    private readonly holdMs = 20_000,
  ) {}

  /** Waits until this account may send, and claims that moment. */
  async pass(accountId: string, rule: PacingRule, signal?: AbortSignal): Promise<PacingTicket> {
    if (rule.minIntervalMs <= 0 && rule.jitterMs <= 0) return NO_PACING;
    const key = this.keys.accountPacing(accountId);
    const gap = rule.minIntervalMs + Math.floor(Math.random() * (rule.jitterMs + 1));
    let held: number;
    for (;;) {
      signal?.throwIfAborted();
      const [waitMs, detail] = (await CLAIM_SCRIPT.run(this.redis, [key], [this.holdMs])) as [number, number];
      if (waitMs <= 0) {
        held = detail;
        break;
      }
      await sleep(detail === 1 ? Math.min(waitMs, IN_FLIGHT_POLL_MS) : waitMs, signal);
    }
    return {
      done: async () => {
        await DONE_SCRIPT.run(this.redis, [key], [gap, held]);
      },
    };
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

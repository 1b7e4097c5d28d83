import type { KeySpace } from "@mjg/shared";
import type { Redis } from "ioredis";

// Redis's own clock decides, so processes on hosts with skewed clocks still keep the gap.
const GATE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nextAt = tonumber(redis.call('GET', KEYS[1]) or '0')
if now < nextAt then return nextAt - now end
redis.call('SET', KEYS[1], now + tonumber(ARGV[1]), 'PX', tonumber(ARGV[1]) + 60000)
return 0
`;

export interface PacingRule {
  minIntervalMs: number;
  jitterMs: number;
}

/** The gap between two interactions of an account, held across every worker process. */
export class PacingGate {
  constructor(
    private readonly redis: Redis,
    private readonly keys: KeySpace,
  ) {}

  /** Waits until this account may send, and claims that moment. */
  async pass(accountId: string, rule: PacingRule, signal?: AbortSignal): Promise<void> {
    const key = this.keys.accountPacing(accountId);
    for (;;) {
      signal?.throwIfAborted();
      const gap = rule.minIntervalMs + Math.floor(Math.random() * (rule.jitterMs + 1));
      const waitMs = Number(await this.redis.eval(GATE_SCRIPT, 1, key, String(gap)));
      if (waitMs <= 0) return;
      await sleep(waitMs, signal);
    }
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

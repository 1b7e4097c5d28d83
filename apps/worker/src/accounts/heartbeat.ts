import { type KeySpace, RedisScript } from "@mjg/shared";
import type { Redis } from "ioredis";

// Redis's clock scores every beat, so hosts with skewed clocks still agree on who is alive.
const BEAT_SCRIPT = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
return now
`);
const LIVE_SCRIPT = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZRANGEBYSCORE', KEYS[1], now - tonumber(ARGV[1]), '+inf')
`);

/**
 * Worker processes announce themselves in the `workers` ZSET every `intervalMs`; one silent for
 * `staleMs` counts as dead (for fair shares, and for adopting its accounts' work).
 */
export class WorkerHeartbeats {
  constructor(
    private readonly redis: Redis,
    private readonly keys: KeySpace,
    readonly staleMs: number,
  ) {}

  async beat(workerId: string): Promise<void> {
    // Entries of long-dead workers go, so the ZSET stays as small as the fleet.
    await BEAT_SCRIPT.run(this.redis, [this.keys.workers], [workerId, String(this.staleMs * 10)]);
  }

  /** Ids of the workers heard from within `staleMs`. */
  async live(): Promise<string[]> {
    return (await LIVE_SCRIPT.run(this.redis, [this.keys.workers], [String(this.staleMs)])) as string[];
  }

  async leave(workerId: string): Promise<void> {
    await this.redis.zrem(this.keys.workers, workerId);
  }
}

import { type KeySpace, RedisScript } from "@mjg/shared";
import type { Redis } from "ioredis";

// Taken when free, or kept when this worker holds it already (a fresh runtime after a stopped one).
const ACQUIRE_SCRIPT = new RedisScript(`
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`);
const RENEW_SCRIPT = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`);
// Taken from a holder known to be dead, only if that holder still has it.
const TAKE_FROM_SCRIPT = new RedisScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1
`);
const RELEASE_SCRIPT = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/** One owner per account across all worker processes: a Redis key holding the owner's id with a TTL. */
export class AccountLeases {
  constructor(
    private readonly redis: Redis,
    private readonly keys: KeySpace,
    private readonly workerId: string,
    readonly ttlMs: number,
  ) {}

  async acquire(accountId: string): Promise<boolean> {
    const args = [this.workerId, String(this.ttlMs)];
    return (await ACQUIRE_SCRIPT.run(this.redis, [this.key(accountId)], args)) === 1;
  }

  /** Takes the lease from `holder` (a worker whose heartbeat stopped) if it still holds it. */
  async takeFrom(accountId: string, holder: string): Promise<boolean> {
    const args = [this.workerId, holder, String(this.ttlMs)];
    return (await TAKE_FROM_SCRIPT.run(this.redis, [this.key(accountId)], args)) === 1;
  }

  /** False when the lease was lost (expired and taken by another worker). */
  async renew(accountId: string): Promise<boolean> {
    const args = [this.workerId, String(this.ttlMs)];
    return (await RENEW_SCRIPT.run(this.redis, [this.key(accountId)], args)) === 1;
  }

  async release(accountId: string): Promise<void> {
    await RELEASE_SCRIPT.run(this.redis, [this.key(accountId)], [this.workerId]);
  }

  async owner(accountId: string): Promise<string | null> {
    return this.redis.get(this.key(accountId));
  }

  private key(accountId: string): string {
    return this.keys.accountLease(accountId);
  }
}

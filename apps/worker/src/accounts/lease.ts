import type { KeySpace } from "@mjg/shared";
import type { Redis } from "ioredis";

const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** One owner per account across all worker processes: a Redis key holding the owner's id with a TTL. */
export class AccountLeases {
  constructor(
    private readonly redis: Redis,
    private readonly keys: KeySpace,
    private readonly workerId: string,
    private readonly ttlMs: number,
  ) {}

  async acquire(accountId: string): Promise<boolean> {
    const key = this.keys.accountLease(accountId);
    return (await this.redis.set(key, this.workerId, "PX", this.ttlMs, "NX")) === "OK";
  }

  /** False when the lease was lost (expired and taken by another worker). */
  async renew(accountId: string): Promise<boolean> {
    const key = this.keys.accountLease(accountId);
    return (await this.redis.eval(RENEW_SCRIPT, 1, key, this.workerId, String(this.ttlMs))) === 1;
  }

  async release(accountId: string): Promise<void> {
    await this.redis.eval(RELEASE_SCRIPT, 1, this.keys.accountLease(accountId), this.workerId);
  }

  async owner(accountId: string): Promise<string | null> {
    return this.redis.get(this.keys.accountLease(accountId));
  }
}

import { isTerminal, type KeySpace, RedisScript, type TaskStore } from "@mjg/shared";
import type { Redis } from "ioredis";

// Frees slots of tasks past their deadline, then takes one if the task has none and there is room.
const ACQUIRE_SCRIPT = new RedisScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if not redis.call('ZSCORE', KEYS[1], ARGV[3]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[3])
local expireAt = tonumber(ARGV[4]) + 60000
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 or tonumber(ARGV[1]) + ttl < expireAt then redis.call('PEXPIREAT', KEYS[1], expireAt) end
return 1
`);

/**
 * The jobs running on Midjourney's side for an account, across every worker process. A task keeps
 * its slot from before its interaction is sent until it ends, also while it is handed from a dying
 * owner to the next one, so the next owner never starts more than `concurrency` jobs beside it.
 */
export class RunningSlots {
  constructor(
    private readonly redis: Redis,
    private readonly keys: KeySpace,
  ) {}

  /** Takes a slot for the task (true also when it has one already); false when all are taken. */
  take(accountId: string, taskId: string, deadline: number, capacity: number): Promise<boolean> {
    return this.tryAcquire(accountId, taskId, deadline, capacity);
  }

  /** Takes the slot whatever the capacity: the task already runs (a resumed one). */
  async hold(accountId: string, taskId: string, deadline: number): Promise<void> {
    await this.tryAcquire(accountId, taskId, deadline, Number.MAX_SAFE_INTEGER);
  }

  async release(accountId: string, taskId: string): Promise<void> {
    await this.redis.zrem(this.key(accountId), taskId);
  }

  /** Frees the slots of tasks that ended (an owner died before freeing them); returns how many. */
  async prune(accountId: string, store: TaskStore): Promise<number> {
    const taskIds = await this.redis.zrange(this.key(accountId), 0, -1);
    if (taskIds.length === 0) return 0;
    const records = await store.getMany(taskIds);
    const ended = taskIds.filter((_, i) => {
      const record = records[i];
      return !record || isTerminal(record.status);
    });
    if (ended.length > 0) await this.redis.zrem(this.key(accountId), ...ended);
    return ended.length;
  }

  private async tryAcquire(
    accountId: string,
    taskId: string,
    deadline: number,
    capacity: number,
  ): Promise<boolean> {
    const args = [String(Date.now()), String(capacity), taskId, String(deadline)];
    return (await ACQUIRE_SCRIPT.run(this.redis, [this.key(accountId)], args)) === 1;
  }

  private key(accountId: string): string {
    return this.keys.accountRunning(accountId);
  }
}

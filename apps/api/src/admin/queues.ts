import type { AccountDirectory, AccountStatus, KeySpace } from "@mjg/shared";
import { QUEUE_STREAMS } from "@mjg/shared";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";

export const DEPTH_STATES = ["waiting", "active", "delayed", "failed"] as const;
export type DepthState = (typeof DEPTH_STATES)[number];

/** One BullMQ queue the operators look at: an account's, or the callback queue (accountId null). */
export interface WatchedQueue {
  name: string;
  accountId: string | null;
  queue: Queue;
}

// BullMQ counts that mean "not picked up yet": all of them show as waiting to operators.
const WAITING_STATES = ["waiting", "prioritized", "paused", "waiting-children"] as const;

/**
 * The account queues known to the registry plus the callback queue, as BullMQ handles over the
 * API's own connection; accounts registered later join on the next `refresh()`.
 */
export class QueueCatalog {
  private readonly queues = new Map<string, WatchedQueue>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: KeySpace,
    readonly directory: AccountDirectory,
  ) {}

  /** Reads the registry; returns every account's status with the full queue list. */
  async refresh(): Promise<{ accounts: AccountStatus[]; queues: WatchedQueue[] }> {
    const accounts = await this.directory.list();
    const queues = [
      ...accounts.map((account) => this.watch(this.keys.accountQueue(account.id), account.id)),
      this.watch(this.keys.notifyQueue, null),
    ];
    return { accounts, queues };
  }

  accountQueue(accountId: string): WatchedQueue {
    return this.watch(this.keys.accountQueue(accountId), accountId);
  }

  /** Job counts per queue, waiting folding in every not-yet-started state. */
  async depths(queues: WatchedQueue[]): Promise<Map<string, Record<DepthState, number>>> {
    const counts = await Promise.all(
      queues.map((watched) => watched.queue.getJobCounts(...WAITING_STATES, "active", "delayed", "failed")),
    );
    return new Map(
      queues.map((watched, i) => {
        const count = counts[i] ?? {};
        const waiting = WAITING_STATES.reduce((sum, state) => sum + (count[state] ?? 0), 0);
        return [
          watched.name,
          { waiting, active: count.active ?? 0, delayed: count.delayed ?? 0, failed: count.failed ?? 0 },
        ];
      }),
    );
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((watched) => watched.queue.close()));
    this.queues.clear();
  }

  private watch(name: string, accountId: string | null): WatchedQueue {
    let watched = this.queues.get(name);
    if (!watched) {
      watched = {
        name,
        accountId,
        queue: new Queue(name, { connection: this.redis, prefix: this.keys.prefix, streams: QUEUE_STREAMS }),
      };
      this.queues.set(name, watched);
    }
    return watched;
  }
}

import { isTerminal, type TaskStore } from "@mjg/shared";
import type { Logger } from "pino";
import type { TaskLifecycle } from "./lifecycle.js";

/**
 * Every task ends: any worker fails tasks past their deadline, even ones whose owner died or
 * whose account is gone, and trims the list index of expired records. It also repairs a create that
 * died between its index write and its record write: the deadline of a task with no record is cleared.
 */
export class TimeoutSweeper {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private lastPrune = 0;
  private migrated = false;

  constructor(
    private readonly store: TaskStore,
    private readonly lifecycle: TaskLifecycle,
    private readonly logger: Logger,
    private readonly intervalMs = 1_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async sweep(now = Date.now()): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    let ended = 0;
    try {
      for (const taskId of await this.store.overdue(now)) {
        const record = await this.lifecycle.fail(taskId, "timeout");
        if (record && isTerminal(record.status)) {
          await this.lifecycle.settle(record);
          ended++;
        } else if (!record) {
          await this.store.clearDeadline(taskId);
        }
      }
      if (now - this.lastPrune > 60_000) {
        this.lastPrune = now;
        await this.store.pruneIndex(now);
      }
      // Indexes of the layout before sharding are moved over a chunk per sweep, then left alone.
      if (!this.migrated) this.migrated = (await this.store.migrateLegacyIndexes()) === 0;
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, "timeout sweep failed");
    } finally {
      this.running = false;
    }
    return ended;
  }
}

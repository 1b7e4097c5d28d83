import type { CallbackQueue } from "@mjg/notify";
import {
  type AccountDirectory,
  isTerminal,
  type TaskPatch,
  type TaskRecord,
  type TaskStore,
} from "@mjg/shared";
import type { Logger } from "pino";

/**
 * Writes task changes and the consequences every change has: callbacks for the events that are due,
 * and the account slot freed when a task ends. Each step is idempotent, so repeating it after a
 * crash is safe.
 */
export class TaskLifecycle {
  constructor(
    private readonly store: TaskStore,
    private readonly directory: AccountDirectory,
    private readonly callbacks: CallbackQueue,
    private readonly logger: Logger,
    private readonly onChange?: (before: TaskRecord, record: TaskRecord) => void,
  ) {}

  /** Applies a patch decided from the current record; returns the record as it now stands. */
  async change(taskId: string, decide: (record: TaskRecord) => TaskPatch | null): Promise<TaskRecord | null> {
    const result = await this.store.update(taskId, decide);
    if (result.outcome === "missing") return null;
    if (result.outcome === "updated") {
      const { record, before } = result;
      this.onChange?.(before, record);
      if (
        record.status !== before.status ||
        record.progress !== before.progress ||
        isTerminal(record.status)
      ) {
        await this.announce(record);
      }
    }
    return result.record;
  }

  fail(taskId: string, reason: string): Promise<TaskRecord | null> {
    return this.change(taskId, (record) =>
      isTerminal(record.status) ? null : { status: "FAILURE", failReason: reason, finishTime: Date.now() },
    );
  }

  /** Makes sure a finished task's slot is free and its final callback queued (again, if need be). */
  async settle(record: TaskRecord): Promise<void> {
    if (!isTerminal(record.status)) return;
    await this.announce(record);
  }

  private async announce(record: TaskRecord): Promise<void> {
    if (isTerminal(record.status)) {
      if (record.accountId) await this.directory.release(record.accountId, record._id);
      await this.store.clearDeadline(record._id);
    }
    try {
      await this.callbacks.enqueueFor(record);
    } catch (error) {
      this.logger.error({ taskId: record._id, err: (error as Error).message }, "could not queue callback");
      throw error;
    }
  }
}

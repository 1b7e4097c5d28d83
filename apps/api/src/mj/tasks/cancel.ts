import {
  type AccountDirectory,
  isTerminal,
  MjError,
  type TaskRecord,
  type TaskStore,
  taskJobId,
} from "@mjg/shared";
import type { Queue } from "bullmq";

export const CANCEL_REASON = "取消任务";

/**
 * Ends an unfinished task as CANCEL: the record first (the worker drops a job whose task has ended),
 * then its job if it still waits, then its account slot.
 */
export async function cancelTask(
  store: TaskStore,
  directory: AccountDirectory,
  taskId: string,
  queueFor: (accountId: string) => Queue,
): Promise<TaskRecord> {
  const result = await store.update(taskId, (record) =>
    isTerminal(record.status)
      ? null
      : { status: "CANCEL", failReason: CANCEL_REASON, finishTime: Date.now() },
  );
  if (result.outcome === "missing") throw new MjError("TASK_NOT_FOUND");
  if (result.outcome === "unchanged") throw new MjError("PARENT_STATUS_INVALID");
  const { record } = result;
  if (record.accountId) {
    await removeWaitingJob(queueFor(record.accountId), taskId);
    await directory.release(record.accountId, taskId);
  }
  await store.clearDeadline(taskId);
  return record;
}

async function removeWaitingJob(queue: Queue, taskId: string): Promise<void> {
  const job = await queue.getJob(taskJobId(taskId));
  if (!job) return;
  const state = await job.getState();
  if (state !== "waiting" && state !== "delayed" && state !== "prioritized") return;
  // A worker may take it in between: it then finds the task cancelled and drops it.
  await job.remove().catch(() => undefined);
}

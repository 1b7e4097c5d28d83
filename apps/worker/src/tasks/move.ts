import {
  allowsMode,
  isAvailable,
  isTerminal,
  QUEUE_STREAMS,
  rankAccounts,
  TASK_JOB_NAME,
  type TaskAction,
  type TaskJob,
  type TaskRecord,
  taskJobOptions,
} from "@mjg/shared";
import { Queue } from "bullmq";
import type { RuntimeDeps } from "./account.js";

// Actions that click nothing of the account's own messages: any account can run them from scratch.
const MOVABLE: ReadonlySet<TaskAction> = new Set(["IMAGINE", "DESCRIBE", "BLEND", "SHORTEN"]);

/** Whether a task not sent yet may run on another account (it is bound to no message of this one). */
export function isMovable(record: TaskRecord): boolean {
  return MOVABLE.has(record.action) && !record.discord.nonce && !isTerminal(record.status);
}

/**
 * Moves a task its account can no longer run to the least loaded other account that can (enabled,
 * allowing its speed mode, with room): the record names the new account, then the job is queued
 * there. Returns the new account's id, or null when no account can take it.
 */
export async function moveToAnotherAccount(deps: RuntimeDeps, record: TaskRecord): Promise<string | null> {
  const { directory, store, keys, bullConnection, timeoutMs } = deps;
  if (!isMovable(record)) return null;
  const from = record.accountId;
  const others = (await directory.list()).filter(
    (status) => status.id !== from && isAvailable(status) && allowsMode(status, record.mode),
  );
  const ranked = rankAccounts(others, await directory.loads(others.map((status) => status.id)));
  const deadline = record.submitTime + timeoutMs;
  for (const target of ranked) {
    if (!(await directory.reserve(target, record._id, deadline))) continue;
    // Only a task still unsent and still on this account moves (another process may have moved or sent it).
    const moved = await store.update(record._id, (current) =>
      isMovable(current) && current.accountId === from ? { accountId: target.id } : null,
    );
    if (moved.outcome !== "updated") {
      await directory.release(target.id, record._id);
      return null;
    }
    const queue = new Queue<TaskJob>(keys.accountQueue(target.id), {
      connection: bullConnection,
      prefix: keys.prefix,
      streams: QUEUE_STREAMS,
    });
    try {
      await queue.add(TASK_JOB_NAME, { taskId: record._id }, taskJobOptions(record._id));
    } finally {
      await queue.close();
    }
    if (from) await directory.release(from, record._id);
    return target.id;
  }
  return null;
}

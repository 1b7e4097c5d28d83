import { isTerminal, type KeySpace, type TaskRecord, type TaskStore } from "@mjg/shared";
import type { Redis } from "ioredis";

/** At most this many tasks are read for `GET /task/queue`, across all accounts. */
export const QUEUE_MAX = 500;

/**
 * Queued and running tasks, oldest submit first. Read from the accounts' load ZSETs (every unfinished
 * task holds a slot there until its deadline), so the cost is bounded by the accounts' capacity, not
 * by the size of the task index. A MODAL task holds a slot too but waits for its client, not a queue.
 */
export async function queuedTasks(
  redis: Redis,
  keys: KeySpace,
  store: TaskStore,
  accountIds: string[],
  now = Date.now(),
): Promise<TaskRecord[]> {
  if (accountIds.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const id of accountIds)
    pipeline.zrangebyscore(keys.accountLoad(id), now, "+inf", "LIMIT", 0, QUEUE_MAX);
  const results = (await pipeline.exec()) ?? [];
  const ids = results.flatMap(([error, value]) => (error ? [] : (value as string[]))).slice(0, QUEUE_MAX);
  const records = await store.getMany([...new Set(ids)]);
  return records
    .filter((record): record is TaskRecord => record !== null)
    .filter((record) => record.status !== "MODAL" && !isTerminal(record.status))
    .sort((a, b) => a.submitTime - b.submitTime || a._id.localeCompare(b._id));
}

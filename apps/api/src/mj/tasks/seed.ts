import { MjError, SEED_JOB_NAME, seedJobOptions, type TaskRecord, type TaskStore } from "@mjg/shared";
import type { Queue } from "bullmq";

/** How long `image-seed` waits for the worker to read the seed, and how often it looks. */
export const SEED_WAIT_MS = 30_000;
const SEED_POLL_MS = 200;

/**
 * The seed of a finished task: the stored one, else asked of the worker (which holds the token) and
 * waited for. The job id makes concurrent asks for the same task one job.
 */
export async function imageSeed(
  store: TaskStore,
  record: TaskRecord,
  queueFor: (accountId: string) => Queue,
  waitMs = SEED_WAIT_MS,
): Promise<string> {
  if (record.seed) return record.seed;
  // Midjourney's /show needs the job's message hash: only a finished image has one.
  if (record.status !== "SUCCESS" || !record.hash) throw new MjError("SEED_TASK_STATUS");
  if (!record.accountId) throw new MjError("SEED_UNAVAILABLE");
  await queueFor(record.accountId).add(SEED_JOB_NAME, { taskId: record._id }, seedJobOptions(record._id));
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, SEED_POLL_MS));
    const current = await store.get(record._id);
    if (current?.seed) return current.seed;
  }
  throw new MjError("SEED_UNAVAILABLE");
}

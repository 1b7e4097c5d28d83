import { z } from "zod";

/** Jobs carry only the task id: the record in Redis is the truth, and no token ever rides in job data. */
export const TaskJobSchema = z.object({ taskId: z.string() });
export type TaskJob = z.infer<typeof TaskJobSchema>;

export const TASK_JOB_NAME = "task";

/**
 * Many new tasks of one account in one job (a large submit): the account's worker adds their task
 * jobs when it takes it. Adding a BullMQ job costs Redis more than writing the task's record does, so
 * a batch of a hundred adds one job per account while the API answers, not a hundred.
 */
export const TASKS_JOB_NAME = "tasks";
export const TaskBatchJobSchema = z.object({ taskIds: z.array(z.string()).min(1) });
export type TaskBatchJob = z.infer<typeof TaskBatchJobSchema>;

/** What an account queue holds: task and seed jobs (one task id), tasks jobs (many). */
export type AccountJob = TaskJob | TaskBatchJob;

/** The tasks a job of an account queue stands for (none for a seed request). */
export function jobTaskIds(job: { name: string; data: AccountJob }): string[] {
  if (job.name === TASK_JOB_NAME) return [(job.data as TaskJob).taskId];
  if (job.name === TASKS_JOB_NAME) return (job.data as TaskBatchJob).taskIds;
  return [];
}

/**
 * Options every BullMQ Queue of ours is made with. Nothing reads the queues' event streams (no
 * QueueEvents), so they are kept short: at BullMQ's default of 10,000 they held about 330 bytes
 * per finished task. Every Queue of one name must agree, since each writes the value into the
 * queue's meta on start.
 */
export const QUEUE_STREAMS = { events: { maxLen: 100 } };
/** A request to read a finished task's seed (`/mj/task/{id}/image-seed`), on the task's account queue. */
export const SEED_JOB_NAME = "seed";

/** Seed requests: one at a time per task, gone once answered. */
export function seedJobOptions(taskId: string) {
  return { jobId: `seed-${taskId}`, removeOnComplete: true, removeOnFail: true, attempts: 1 };
}

/** A task's job id: its task id; BullMQ refuses integer job ids, so a `/mj` numeric id gets a prefix. */
export function taskJobId(taskId: string): string {
  return /^\d+$/.test(taskId) ? `task-${taskId}` : taskId;
}

/** Job options for an account queue; the job id comes from the task id, so a task is queued at most once. */
export function taskJobOptions(taskId: string) {
  return {
    jobId: taskJobId(taskId),
    // The task record outlives the job: keep queues small (Redis bytes per task).
    removeOnComplete: true,
    removeOnFail: { age: 24 * 3600, count: 10_000 },
    attempts: 5,
    backoff: { type: "exponential" as const, delay: 5_000 },
  };
}

/** A tasks job's options: its id comes from its first task's, which no other tasks job holds. */
export function taskBatchJobOptions(taskIds: readonly string[]) {
  return { ...taskJobOptions(taskIds[0]!), jobId: `tasks-${taskJobId(taskIds[0]!)}` };
}

import {
  type AccountJob,
  type SlotClaim,
  TASK_JOB_NAME,
  TASKS_JOB_NAME,
  type TaskRecord,
  type TaskStore,
  taskBatchJobOptions,
  taskJobOptions,
} from "@mjg/shared";
import type { Queue } from "bullmq";

/** One new task as the batcher writes it: the record and its slot, its input images, its job. */
export interface NewTaskWrite {
  record: TaskRecord;
  slot: SlotClaim;
  images: readonly string[] | null;
  /** False for a MODAL task: its job waits for `/mj/submit/modal`. */
  job: boolean;
}

/** What happened to each part of one task's write. */
export interface TaskWriteResult {
  record: PromiseSettledResult<"created" | "full" | "exists">;
  images: PromiseSettledResult<void> | null;
  job: PromiseSettledResult<void> | null;
}

export interface CreateBatcherDeps {
  store: TaskStore;
  storeImages: (taskId: string, images: readonly string[]) => Promise<void>;
  queueFor: (accountId: string) => Queue<AccountJob>;
  /** Resolves once the account queue's latest writes are on replicas (REDIS_WAIT_REPLICAS); throws if not. */
  confirmQueued: (accountId: string) => Promise<void>;
}

// A batch is sent at once when it is this large, without waiting for the end of the loop turn.
const MAX_BATCH = 200;
// From this many tasks in one batch, each account gets one tasks job once the records are written.
const BULK_MIN = 32;

/**
 * Gathers the new tasks of one event-loop turn (concurrent submits, a submit-batch) and writes them
 * together on one Redis server: one script for every slot and record, then the jobs. They leave on
 * one connection in that order (the images may go ahead: a list nobody reads yet), and Redis keeps
 * it: a worker never finds a job before its record. A job whose task was refused is the caller's to
 * take back.
 */
export class CreateBatcher {
  private pending: { write: NewTaskWrite; done: (result: TaskWriteResult) => void }[] = [];
  private scheduled = false;

  constructor(private readonly deps: CreateBatcherDeps) {}

  write(write: NewTaskWrite): Promise<TaskWriteResult> {
    return new Promise((done) => {
      this.pending.push({ write, done });
      if (this.pending.length >= MAX_BATCH) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        // After the I/O callbacks of this turn: the submits that arrived together go together.
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const writes = batch.map(({ write }) => write);
    // Sent first (issued synchronously): everything below leaves behind it.
    const records = this.deps.store.createManyWithSlots(writes);
    const images = writes.map((write) =>
      write.images && write.images.length > 0 ? this.deps.storeImages(write.record._id, write.images) : null,
    );
    // A large batch (a submit-batch) waits for its records, then adds one tasks job per account for
    // the written tasks (their worker adds the task jobs): one round trip more, a fraction of the work.
    // A small one adds each job behind the script through the connection's auto-pipeline.
    const jobs =
      writes.length >= BULK_MIN
        ? this.bulkJobs(writes, records)
        : writes.map((write) => (write.job ? this.addJob(write) : null));
    void (async () => {
      const [recordResult, ...rest] = await Promise.allSettled([records, ...images, ...jobs]);
      const imageResults = rest.slice(0, writes.length);
      const jobResults = rest.slice(writes.length);
      batch.forEach(({ done }, i) => {
        done({
          record:
            recordResult!.status === "fulfilled"
              ? { status: "fulfilled", value: (recordResult!.value as ("created" | "full" | "exists")[])[i]! }
              : recordResult!,
          images: images[i] ? (imageResults[i] as PromiseSettledResult<void>) : null,
          job: jobs[i] ? (jobResults[i] as PromiseSettledResult<void>) : null,
        });
      });
    })();
  }

  private addJob(write: NewTaskWrite): Promise<void> {
    const taskId = write.record._id;
    return this.deps
      .queueFor(write.slot.accountId)
      .add(TASK_JOB_NAME, { taskId }, taskJobOptions(taskId))
      .then(() => undefined);
  }

  /**
   * The records' own wait for replicas came before this job: it waits again, and a job the replicas
   * do not confirm is taken back with the records (a job lost in a failover would strand them).
   */
  private async addTasksJob(accountId: string, taskIds: string[]): Promise<void> {
    const job = await this.deps
      .queueFor(accountId)
      .add(TASKS_JOB_NAME, { taskIds }, taskBatchJobOptions(taskIds));
    try {
      await this.deps.confirmQueued(accountId);
    } catch (error) {
      await job.remove().catch(() => undefined);
      throw error;
    }
  }

  /** One promise per write: its account's tasks job once the records are in; null when no job is due. */
  private bulkJobs(
    writes: NewTaskWrite[],
    records: Promise<("created" | "full" | "exists")[]>,
  ): (Promise<void> | null)[] {
    const added = records.then((outcomes) => {
      const byAccount = new Map<string, NewTaskWrite[]>();
      writes.forEach((write, i) => {
        if (!write.job || outcomes[i] !== "created") return;
        const group = byAccount.get(write.slot.accountId) ?? [];
        group.push(write);
        byAccount.set(write.slot.accountId, group);
      });
      const perAccount = new Map(
        [...byAccount].map(([accountId, group]) => [
          accountId,
          this.addTasksJob(
            accountId,
            group.map((write) => write.record._id),
          ),
        ]),
      );
      return { outcomes, perAccount };
    });
    // Read only through the writes that have a job: a batch of held tasks must not leave it unhandled.
    added.catch(() => undefined);
    return writes.map((write, i) =>
      write.job
        ? added.then(async ({ outcomes, perAccount }) => {
            // Not written: no job was added, none to take back.
            if (outcomes[i] !== "created") return;
            await perAccount.get(write.slot.accountId);
          })
        : null,
    );
  }
}

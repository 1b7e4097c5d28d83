import type { KeySpace, TaskRecord } from "@mjg/shared";
import { QUEUE_STREAMS } from "@mjg/shared";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { dueCallback } from "./events.js";
import { MJ_JOB_NAME, mjCallback, mjLinkJobId, offerMjState, stateOrder } from "./mj.js";
import type { NotifySettings } from "./settings.js";

/** The custom backoff type; CallbackWorker supplies the strategy behind it. */
export const BACKOFF_TYPE = "notify-schedule";
/** Failed jobs whose reason starts so were stopped on purpose (410, private target): never replayed. */
export const FINAL_STOP_PREFIXES = ["gone:", "refused:"] as const;

export function isFinalStop(failedReason: string | undefined): boolean {
  return FINAL_STOP_PREFIXES.some((prefix) => failedReason?.startsWith(prefix));
}

/** Delivered events stay this long so a repeated enqueue of the same transition is a no-op. */
const KEEP_COMPLETED_SECONDS = 60 * 60;
/** Given-up deliveries stay inspectable and replayable this long. */
const KEEP_FAILED_SECONDS = 30 * 24 * 60 * 60;

/** The producer side: the worker calls `enqueueFor` after each task transition. */
export class CallbackQueue {
  readonly queue: Queue;
  private readonly settings: NotifySettings;

  private readonly redis: Redis;
  private readonly keys: KeySpace;

  constructor(opts: { connection: Redis; keys: KeySpace; settings: NotifySettings }) {
    this.settings = opts.settings;
    this.redis = opts.connection;
    this.keys = opts.keys;
    this.queue = new Queue(opts.keys.notifyQueue, {
      connection: opts.connection,
      prefix: opts.keys.prefix,
      streams: QUEUE_STREAMS,
    });
  }

  /** Enqueues the event the record's state calls for; returns its event id, or null when none is due. */
  async enqueueFor(record: TaskRecord): Promise<string | null> {
    if (record.api === "mj") return this.offerMj(record);
    const job = dueCallback(record, this.settings, Date.now());
    if (!job) return null;
    await this.queue.add(job.event, job, {
      jobId: job.eventId,
      attempts: this.settings.backoffSeconds.length + 1,
      backoff: { type: BACKOFF_TYPE },
      removeOnComplete: { age: KEEP_COMPLETED_SECONDS },
      removeOnFail: { age: KEEP_FAILED_SECONDS },
    });
    return job.eventId;
  }

  /**
   * A `/mj` task's state joins its task's chain: kept if newer than what is pending or sent, and
   * the live link's job made sure of (adding an existing job id is a no-op, so a crash between
   * the two steps heals on the next offer). Returns the state's event id, or null when none is due.
   */
  private async offerMj(record: TaskRecord): Promise<string | null> {
    const job = mjCallback(record, this.settings, Date.now());
    if (!job) return null;
    const seq = await offerMjState(this.redis, this.keys, job, stateOrder(record));
    if (seq > 0) await this.addMjLink(record._id, seq);
    return job.eventId;
  }

  /** Adds (or finds) the job of a chain link. */
  async addMjLink(taskId: string, seq: number): Promise<void> {
    await this.queue.add(
      MJ_JOB_NAME,
      { taskId, seq },
      {
        jobId: mjLinkJobId(taskId, seq),
        attempts: this.settings.backoffSeconds.length + 1,
        backoff: { type: BACKOFF_TYPE },
        removeOnComplete: { age: KEEP_COMPLETED_SECONDS },
        removeOnFail: { age: KEEP_FAILED_SECONDS },
      },
    );
  }

  /** Puts up to `limit` given-up deliveries back in the queue with a fresh schedule; returns how many. */
  async replayFailed(limit = 1000): Promise<number> {
    let replayed = 0;
    let skipped = 0;
    while (replayed < limit) {
      const page = await this.queue.getFailed(skipped, skipped + 99);
      if (page.length === 0) break;
      for (const job of page) {
        if (replayed >= limit) break;
        if (isFinalStop(job.failedReason)) {
          skipped += 1;
          continue;
        }
        await job.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
        replayed += 1;
      }
    }
    return replayed;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

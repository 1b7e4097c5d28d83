import type { KeySpace, Logger } from "@mjg/shared";
import { QUEUE_STREAMS } from "@mjg/shared";
import { type Job, Queue, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Agent } from "undici";
import { type DeliveryAttempt, recordAttempt } from "./attempts.js";
import { retryDelayMs } from "./backoff.js";
import { type DeliveryOptions, deliverOnce, deliveryAgent } from "./deliver.js";
import { type CallbackJob, CallbackJobSchema } from "./events.js";
import { finishMjLink, MJ_JOB_NAME, MjChainJobSchema, mjLinkJobId, takeMjState } from "./mj.js";
import type { NotifySettings } from "./settings.js";

/** Thrown by the processor to ask BullMQ for a retry after exactly `delayMs`. */
class RetryDeliveryError extends Error {
  override readonly name = "RetryDeliveryError";
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}

/** BullMQ lock and stall settings; tests shorten them to see crash recovery quickly. */
export interface CallbackWorkerTuning {
  /** @defaultValue 30000 */
  lockDuration?: number;
  /** @defaultValue 30000 */
  stalledInterval?: number;
  /** Crashes a delivery may survive before it is moved to the failed set (still replayable). @defaultValue 5 */
  maxStalledCount?: number;
}

export interface CallbackWorkerOptions {
  /** For the BullMQ Worker: needs `maxRetriesPerRequest: null`. */
  connection: Redis;
  /** For recording attempts. */
  redis: Redis;
  keys: KeySpace;
  settings: NotifySettings;
  logger?: Logger;
  /** How long a task's attempt list is kept after its last attempt. */
  retentionMs: number;
  tuning?: CallbackWorkerTuning;
  /** Told the outcome of every delivery attempt (for metrics). */
  onAttempt?: (outcome: DeliveryOutcome) => void;
}

export type DeliveryOutcome = "delivered" | "gone" | "refused" | "retry";

/** The consumer side: any number of worker processes may run one. */
export class CallbackWorker {
  private worker: Worker | null = null;
  private agent: Agent | null = null;
  /** Producer handle for the next link of a `/mj` chain. */
  private links: Queue | null = null;
  private readonly delivery: DeliveryOptions;

  constructor(private readonly opts: CallbackWorkerOptions) {
    this.delivery = {
      secret: opts.settings.secret,
      allowPrivate: opts.settings.allowPrivate,
      timeoutMs: opts.settings.timeoutMs,
    };
  }

  start(): void {
    if (this.worker) return;
    const { keys, settings, tuning } = this.opts;
    this.agent = deliveryAgent(this.delivery);
    this.worker = new Worker(keys.notifyQueue, (job: Job) => this.process(job), {
      connection: this.opts.connection,
      prefix: keys.prefix,
      concurrency: settings.concurrency,
      lockDuration: tuning?.lockDuration ?? 30_000,
      stalledInterval: tuning?.stalledInterval ?? 30_000,
      maxStalledCount: tuning?.maxStalledCount ?? 5,
      settings: {
        backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) =>
          error instanceof RetryDeliveryError
            ? error.delayMs
            : (retryDelayMs(attemptsMade, settings.backoffSeconds, null) ?? 0),
      },
    });
    this.worker.on("error", (error) => this.opts.logger?.error({ err: error }, "callback worker error"));
    // A /mj link that failed for good without saying so (crashed past the stall limit) must not
    // hold its task's chain: let the next state start a new one.
    this.worker.on("failed", (job) => {
      // finishedOn: failed for good, not an attempt that will be retried.
      if (job?.name !== MJ_JOB_NAME || !job.finishedOn) return;
      const link = MjChainJobSchema.safeParse(job.data);
      if (!link.success) return;
      finishMjLink(this.opts.redis, keys, link.data, -1, "given-up").catch((error) =>
        this.opts.logger?.error({ err: error }, "could not release a callback chain"),
      );
    });
  }

  /** Graceful: stops taking jobs and waits for deliveries in flight. */
  async close(): Promise<void> {
    await this.worker?.close();
    await this.agent?.close();
    await this.links?.close();
    this.links = null;
    this.worker = null;
    this.agent = null;
  }

  private async process(job: Job): Promise<{ status: number } | null> {
    if (job.name === MJ_JOB_NAME) return this.processMjLink(job);
    const parsed = CallbackJobSchema.safeParse(job.data);
    // A job no version of this code could deliver: fail it for inspection rather than retry it.
    if (!parsed.success) throw new UnrecoverableError(`refused: malformed callback job ${job.id}`);
    return this.deliver(parsed.data, job.attemptsMade + 1);
  }

  /**
   * One link of a `/mj` task's chain: delivers the newest waiting state (a retry too, so a state
   * superseded while its delivery failed is never sent after the newer one), then hands over to
   * the next link if a newer state arrived meanwhile.
   */
  private async processMjLink(job: Job): Promise<{ status: number } | null> {
    const parsed = MjChainJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`refused: malformed callback job ${job.id}`);
    const link = parsed.data;
    const { redis, keys } = this.opts;
    const taken = await takeMjState(redis, keys, link);
    if (!taken) return null;
    const { job: data, order } = taken;
    // Every end of this state (delivered, refused, given up) lets the task's next state go.
    return this.deliver(data, job.attemptsMade + 1, async (end) => {
      const seq = await finishMjLink(redis, keys, link, order, end);
      if (seq > 0) await this.addMjLink(link.taskId, seq, job);
    });
  }

  /**
   * One delivery attempt, recorded; throws for BullMQ to retry or give up. `onEnd` hears when this
   * state is done with: "consumed" (delivered or refused for good) or "given-up" (retries ran out).
   */
  private async deliver(
    data: CallbackJob,
    attempt: number,
    onEnd: (end: "consumed" | "given-up") => Promise<void> = async () => undefined,
  ): Promise<{ status: number }> {
    const outcome = await deliverOnce(data, this.agent!, this.delivery);
    const at = Date.now();
    this.opts.onAttempt?.(outcome.kind);
    const record = (fields: Pick<DeliveryAttempt, "status" | "error" | "nextAttemptAt" | "delivered">) =>
      recordAttempt(
        this.opts.redis,
        this.opts.keys,
        data.taskId,
        { at, eventId: data.eventId, event: data.event, url: data.url, attempt, ...fields },
        this.opts.retentionMs,
      );
    switch (outcome.kind) {
      case "delivered":
        await record({ status: outcome.status, error: null, nextAttemptAt: null, delivered: true });
        await onEnd("consumed");
        this.log(data, attempt, "info", "callback delivered", { status: outcome.status });
        return { status: outcome.status };
      case "gone":
        await record({
          status: outcome.status,
          error: "410 Gone: stopped",
          nextAttemptAt: null,
          delivered: false,
        });
        await onEnd("consumed");
        this.log(data, attempt, "warn", "callback receiver answered 410, stopped", {});
        throw new UnrecoverableError("gone: receiver answered 410");
      case "refused":
        await record({ status: null, error: outcome.error, nextAttemptAt: null, delivered: false });
        await onEnd("consumed");
        this.log(data, attempt, "warn", "callback target refused", { error: outcome.error });
        throw new UnrecoverableError(
          outcome.error.startsWith("refused:") ? outcome.error : `refused: ${outcome.error}`,
        );
      case "retry": {
        const error = outcome.error ?? "failed";
        const delay = retryDelayMs(attempt, this.opts.settings.backoffSeconds, outcome.retryAfterMs);
        await record({
          status: outcome.status,
          error,
          nextAttemptAt: delay === null ? null : at + delay,
          delivered: false,
        });
        this.log(data, attempt, "warn", "callback attempt failed", { status: outcome.status, error, delay });
        if (delay === null) {
          // Given up, but kept pending (/mj): a replay or the task's next state delivers it.
          await onEnd("given-up");
          throw new UnrecoverableError(`exhausted after ${attempt} attempts: ${error}`);
        }
        throw new RetryDeliveryError(error, delay);
      }
    }
  }

  private async addMjLink(taskId: string, seq: number, from: Job): Promise<void> {
    this.links ??= new Queue(this.opts.keys.notifyQueue, {
      connection: this.opts.connection,
      prefix: this.opts.keys.prefix,
      streams: QUEUE_STREAMS,
    });
    const { attempts, backoff, removeOnComplete, removeOnFail } = from.opts;
    await this.links.add(
      MJ_JOB_NAME,
      { taskId, seq },
      { attempts, backoff, removeOnComplete, removeOnFail, jobId: mjLinkJobId(taskId, seq) },
    );
  }

  private log(
    data: CallbackJob,
    attempt: number,
    level: "info" | "warn",
    message: string,
    extra: Record<string, unknown>,
  ): void {
    // The origin only: a hook's path or query may carry the receiver's own secret.
    const target = URL.canParse(data.url) ? new URL(data.url).origin : "invalid";
    this.opts.logger?.[level](
      { taskId: data.taskId, eventId: data.eventId, target, attempt, ...extra },
      message,
    );
  }
}

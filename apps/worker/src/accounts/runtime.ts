import { DiscordRest, GatewayClient, type GatewayFatal, GatewayFatalError } from "@mjg/discord-client";
import {
  type ApplicationCommand,
  type CommandName,
  type CorrelationEffect,
  Correlator,
  defaultCommand,
  findCommand,
  MIDJOURNEY_APPLICATION_ID,
  NIJI_APPLICATION_ID,
} from "@mjg/midjourney";
import {
  type AccountDirectory,
  type AccountJob,
  type BotType,
  isTerminal,
  jobTaskIds,
  QUEUE_STREAMS,
  SEED_JOB_NAME,
  TASK_JOB_NAME,
  TASKS_JOB_NAME,
  TaskBatchJobSchema,
  type TaskJob,
  taskJobOptions,
} from "@mjg/shared";
import { DelayedError, type Job, Queue, WaitingError, Worker } from "bullmq";
import type { Logger } from "pino";
import type { DiscordEndpoints, Readiness, RuntimeDeps, TaskAccount } from "../tasks/account.js";
import { effectPatch } from "../tasks/effects.js";
import { moveToAnotherAccount } from "../tasks/move.js";
import { type RunOutcome, TaskProcessor } from "../tasks/processor.js";
import { SeedLookup } from "../tasks/seed.js";
import { Waiters } from "../tasks/waiters.js";
import { RunningSlots } from "./slots.js";

export type { DiscordEndpoints, Readiness, RuntimeDeps };

const TICK_MS = 250;
// Midjourney bumps command versions now and then: read the index again after this long.
const COMMAND_INDEX_MAX_AGE_MS = 3_600_000;
// A job finding every running slot taken goes back to the queue for this long, freeing its place in
// the BullMQ worker for the handed-over jobs that hold the slots.
const BUSY_RETRY_MS = 500;
// Re-reading waiting tasks catches ends decided elsewhere (the timeout sweeper, an operator).
const RECHECK_MS = 5_000;
const GATEWAY_READY_TIMEOUT_MS = 15_000;
// After the grace, tasks still running get this long to notice the stop and hand their jobs back.
const HANDBACK_WAIT_MS = 2_000;

/**
 * Everything one owned account runs: its gateway session, its REST client, the correlator, and the
 * BullMQ worker consuming its queue with the account's concurrency.
 */
export class AccountRuntime implements TaskAccount {
  readonly gateway: GatewayClient;
  readonly rest: DiscordRest;
  readonly correlator: Correlator;
  readonly slots: RunningSlots;
  readonly waiters = new Waiters();
  /** The account's queue, for adopting, moving and failing its jobs outside the worker. */
  private readonly queue: Queue<AccountJob>;
  private worker: Worker<AccountJob> | null = null;
  private readonly processor: TaskProcessor;
  private readonly effectChains = new Map<string, Promise<void>>();
  private tickTimer: NodeJS.Timeout | null = null;
  private lastRecheck = 0;
  /** Commands read from the index, by application and name, with when they were read. */
  private readonly commands = new Map<string, { command: ApplicationCommand; readAt: number }>();
  private readonly seeds: SeedLookup;
  private disabled: string | null = null;
  private stopping = false;
  /** Tasks this runtime's jobs are working on; stop() waits for them during the grace. */
  private readonly active = new Set<string>();
  private onDrained: (() => void) | null = null;
  private readonly log: Logger;
  /** Aborted when the runtime stops: sleeps and waits of its tasks end at once. */
  private readonly stopController = new AbortController();
  /** Since when the gateway session is not ready (null while it is). */
  private notReadySince: number | null = Date.now();
  private notReadyReported = false;

  constructor(readonly deps: RuntimeDeps) {
    const { account } = deps;
    this.log = deps.logger.child({ account: account.id });
    this.gateway = new GatewayClient({
      token: account.token,
      url: deps.discord.gatewayUrl,
      logger: this.log,
      handshakeTimeoutMs: deps.gatewayReadyTimeoutMs ?? GATEWAY_READY_TIMEOUT_MS,
    });
    this.rest = new DiscordRest({ token: account.token, apiUrl: deps.discord.apiUrl });
    this.correlator = new Correlator({ channelId: account.channelId });
    this.slots = new RunningSlots(deps.bullConnection, deps.keys);
    this.queue = new Queue<AccountJob>(deps.keys.accountQueue(account.id), {
      connection: deps.bullConnection,
      prefix: deps.keys.prefix,
      streams: QUEUE_STREAMS,
    });
    this.processor = new TaskProcessor(this, deps);
    this.seeds = new SeedLookup(this, deps);
  }

  get id(): string {
    return this.deps.account.id;
  }

  /** Tasks this runtime's jobs are working on now. */
  get busy(): number {
    return this.active.size;
  }

  /** Clicked tasks waiting for a pop-up that only this gateway session will see. */
  get awaitingPopups(): number {
    return this.processor.awaitingPopup.size;
  }

  get sessionId(): string {
    return this.gateway.sessionId ?? "";
  }

  get disabledReason(): string | null {
    return this.disabled;
  }

  /** True once stop() began: no new interaction may be sent from here. */
  get isStopping(): boolean {
    return this.stopping;
  }

  /** Aborted once the runtime stops. */
  get signal(): AbortSignal {
    return this.stopController.signal;
  }

  /** How long the gateway session has not been ready (0 while it is). */
  notReadyForMs(now = Date.now()): number {
    return this.notReadySince === null ? 0 : now - this.notReadySince;
  }

  /**
   * Starts taking work without waiting for Discord: the gateway connects (and retries with backoff)
   * in the background, and sends wait for its session, so a gateway that never says READY holds up
   * nothing but its own account's sends.
   */
  async start(): Promise<void> {
    this.gateway.on("dispatch", (t: string, d: unknown) => this.onDispatch(t, d));
    // The user id is learned from our own messages, not READY: what matters is whom Midjourney mentions.
    this.gateway.on("ready", () => {
      // A fresh session may have missed events of running tasks: read the channel's recent messages.
      if (this.correlator.tracked().length > 0) void this.catchUp();
    });
    this.gateway.on("state", (state: string) => this.onGatewayState(state));
    this.gateway.on("fatal", (fatal: GatewayFatal) => {
      void this.disable(`gateway closed ${fatal.code}: ${fatal.reason}`);
    });
    await this.report({ owner: this.deps.workerId, gateway: this.gateway.state });
    this.gateway.connect().catch((error) => {
      // A refusal for good disables the account (the fatal event); the queue still drains, failing its tasks.
      if (!(error instanceof GatewayFatalError))
        this.log.debug({ err: (error as Error).message }, "gateway closed");
    });
    await this.adopt();
    this.tickTimer = setInterval(() => this.tick(), TICK_MS);
    this.worker = new Worker<AccountJob>(
      this.deps.keys.accountQueue(this.id),
      (job, token) => this.process(job, token),
      {
        connection: this.deps.bullConnection,
        prefix: this.deps.keys.prefix,
        concurrency: this.deps.account.concurrency,
        lockDuration: this.deps.jobLockMs,
        stalledInterval: this.deps.jobLockMs,
        maxStalledCount: 10,
        autorun: true,
      },
    );
    this.worker.on("error", (error) => this.log.warn({ err: error.message }, "queue worker error"));
  }

  /**
   * Takes over the work a previous owner left: its jobs still marked active (it died, or stopped
   * before handing them back) go back to the queue at once instead of after BullMQ's stalled check,
   * and are the first this runtime runs (sent ones resumed and caught up from the channel, unsent
   * ones sent). Only the lease holder runs the account's queue and its own worker has not started,
   * so every active job is an orphan. Running slots of tasks that ended meanwhile are freed.
   */
  private async adopt(): Promise<void> {
    let adopted = 0;
    for (const job of await this.queue.getJobs(["active"])) {
      // No token: the dead owner's lock is not ours, and the job must not wait for it to lapse.
      if (
        await job.moveToWait().then(
          () => true,
          () => false,
        )
      )
        adopted++;
    }
    const freed = await this.slots.prune(this.id, this.deps.store);
    if (adopted + freed > 0)
      this.log.info({ adopted, freedSlots: freed }, "adopted the previous owner's work");
  }

  /** Waits for the gateway session, at most until `deadline`, and never past the runtime's stop. */
  async ready(deadline: number): Promise<Readiness> {
    if (this.stopping) return "stopped";
    if (this.gateway.state === "ready") return "ready";
    const signal = this.signal;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      return await Promise.race([
        this.gateway.connect().then(
          () => (this.stopping ? "stopped" : "ready") as Readiness,
          () => (this.stopping ? "stopped" : "refused") as Readiness,
        ),
        new Promise<Readiness>((resolve) => {
          timer = setTimeout(() => resolve("timeout"), Math.max(0, deadline - Date.now()));
          onAbort = () => resolve("stopped");
          signal.addEventListener("abort", onAbort, { once: true });
        }),
      ]);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener("abort", onAbort);
    }
  }

  private onGatewayState(state: string): void {
    if (state === "ready") {
      this.notReadySince = null;
      if (this.notReadyReported) {
        this.notReadyReported = false;
        this.log.info("gateway ready again");
        void this.report({ gateway: state, lastError: null });
        return;
      }
    } else {
      this.notReadySince ??= Date.now();
    }
    void this.report({ gateway: state });
  }

  /** A session that stays unready is reported once on the account, so operators see why it sends nothing. */
  private watchReadiness(now: number): void {
    const limit = this.deps.gatewayReadyTimeoutMs ?? GATEWAY_READY_TIMEOUT_MS;
    const waited = this.notReadyForMs(now);
    if (this.notReadyReported || waited < limit || this.disabled || this.stopping) return;
    this.notReadyReported = true;
    const lastError = `gateway not ready after ${Math.round(waited / 1000)} s; retrying`;
    this.log.warn({ waitedMs: waited, state: this.gateway.state }, "gateway session not ready");
    void this.report({ lastError });
  }

  /**
   * Stops taking work. Running tasks get `graceMs` to end; the ones still running after that hand
   * their jobs back to the queue, where the account's next owner resumes them without sending again.
   */
  async stop(graceMs: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const worker = this.worker;
    this.worker = null;
    if (worker) {
      // Pause, not close: BullMQ's close() waits for every running job, and a later close(true) waits too.
      await worker.pause(true).catch(() => undefined);
      if (this.active.size > 0) await Promise.race([this.whenIdle(), delay(graceMs)]);
    }
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.tickTimer = null;
    // Still running after the grace: hand back, never fail (the task is fine on Discord's side).
    this.stopController.abort(new Error("the account's runtime stopped"));
    this.waiters.handBackAll();
    if (this.active.size > 0) await Promise.race([this.whenIdle(), delay(HANDBACK_WAIT_MS)]);
    await worker?.close(true).catch(() => undefined);
    await this.queue.close().catch(() => undefined);
    await this.gateway.closeKeepSession().catch(() => undefined);
    await this.report({ owner: null, gateway: "closed" }).catch(() => undefined);
  }

  /** Stops taking new jobs and resolves once the running ones have ended (to hand the account over whole). */
  async drain(): Promise<void> {
    await this.worker?.pause(true).catch(() => undefined);
    await this.whenIdle();
  }

  private whenIdle(): Promise<void> {
    if (this.active.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const previous = this.onDrained;
      this.onDrained = () => {
        previous?.();
        resolve();
      };
    });
  }

  /** Takes the account out of rotation with a reason operators can read; its waiting tasks end now. */
  async disable(reason: string, options: { failRunning: boolean } = { failRunning: true }): Promise<void> {
    if (this.disabled) return;
    this.disabled = reason;
    this.log.error({ reason }, "account disabled");
    await this.patchStatus({ disabledReason: reason, lastError: reason });
    // Sent tasks fail at once with the reason instead of at their timeout; queued ones move or fail.
    if (options.failRunning) {
      await this.processor.failWaiting(reason);
      await this.moveQueued(reason).catch(() => undefined);
    }
  }

  /**
   * The tasks still queued for this account (it leaves rotation): those bound to no message of it
   * move to another account that can run them; the rest fail with the reason. Returns how many failed.
   */
  async moveQueued(reason: string): Promise<number> {
    let failed = 0;
    for (const job of await this.queue.getJobs(["waiting", "delayed", "prioritized", "paused"])) {
      for (const taskId of jobTaskIds(job))
        if ((await this.moveOrFail(taskId, reason)) === "failed") failed++;
      await job.remove().catch(() => undefined);
    }
    return failed;
  }

  /** Moves an unsent task to another account, or fails it with the reason this one left rotation. */
  async moveOrFail(taskId: string, reason: string): Promise<"moved" | "failed" | "gone"> {
    const record = await this.deps.store.get(taskId);
    if (!record || isTerminal(record.status)) return "gone";
    // Moved already by another process: its job waits on the other account's queue.
    if (record.accountId !== null && record.accountId !== this.id) return "moved";
    const target = await moveToAnotherAccount(this.deps, record).catch((error) => {
      this.log.warn({ taskId, err: (error as Error).message }, "could not move the task");
      return null;
    });
    if (target) {
      this.log.info({ taskId, to: target }, "task moved to another account");
      return "moved";
    }
    const current = await this.deps.store.get(taskId);
    if (current && current.accountId !== null && current.accountId !== this.id) return "moved";
    await this.deps.lifecycle.fail(taskId, `account disabled: ${reason}`);
    return "failed";
  }

  /**
   * A Midjourney (or niji) command as the application-command index names it today: ids and versions
   * change, so they are read from the index, refreshed when Discord calls one outdated (§1.2).
   */
  async command(
    name: CommandName,
    botType: BotType = "MID_JOURNEY",
    refresh = false,
  ): Promise<ApplicationCommand> {
    const applicationId = botType === "NIJI_JOURNEY" ? NIJI_APPLICATION_ID : MIDJOURNEY_APPLICATION_ID;
    const key = `${applicationId}:${name}`;
    const known = this.commands.get(key);
    if (known && !refresh && Date.now() - known.readAt < COMMAND_INDEX_MAX_AGE_MS) return known.command;
    if (refresh) this.commands.clear();
    let command: ApplicationCommand;
    try {
      const index = await this.rest.applicationCommandIndex(this.deps.account.guildId);
      command = findCommand(index, name, applicationId) ?? defaultCommand(name, applicationId);
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, "command index unavailable; using known ids");
      command = defaultCommand(name, applicationId);
    }
    this.commands.set(key, { command, readAt: Date.now() });
    return command;
  }

  async catchUp(): Promise<void> {
    try {
      const messages = await this.rest.channelMessages(this.deps.account.channelId, { limit: 50 });
      this.applyEffects(this.correlator.onRestMessages(messages, Date.now()));
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, "catch-up from recent messages failed");
    }
  }

  private async process(job: Job<AccountJob>, token: string | undefined): Promise<void> {
    if (job.name !== TASK_JOB_NAME && job.name !== SEED_JOB_NAME && job.name !== TASKS_JOB_NAME)
      throw new Error(`unknown job ${job.name}`);
    // A job fetched while stopping goes straight back to the queue for the next owner.
    if (this.stopping) return this.handBack(job, token);
    if (job.name === TASKS_JOB_NAME) return this.addTaskJobs(TaskBatchJobSchema.parse(job.data).taskIds);
    const taskId = (job.data as TaskJob).taskId;
    // Reading a finished job's seed sends one /show: no running slot, no correlation.
    if (job.name === SEED_JOB_NAME) return this.seeds.lookup(taskId);
    this.active.add(taskId);
    let outcome: RunOutcome;
    try {
      outcome = await this.processor.run(taskId, job.timestamp);
    } finally {
      this.leave(taskId);
    }
    if (outcome === "busy") {
      await job.moveToDelayed(Date.now() + BUSY_RETRY_MS, token);
      throw new DelayedError();
    }
    if (outcome === "handedBack") return this.handBack(job, token);
  }

  /**
   * A tasks job becomes its tasks' own jobs, at the back of the queue. Run again (a crash before it
   * completed), it adds none twice: a task's job id is its task id. A task cancelled, moved or ended
   * meanwhile gets a job that finds so and ends.
   */
  private async addTaskJobs(taskIds: string[]): Promise<void> {
    await this.queue.addBulk(
      taskIds.map((taskId) => ({ name: TASK_JOB_NAME, data: { taskId }, opts: taskJobOptions(taskId) })),
    );
  }

  /** BullMQ's idiom for "not done here": the job waits again, for whoever owns the account next. */
  private async handBack(job: Job<AccountJob>, token: string | undefined): Promise<never> {
    // With our token only: a job another owner holds by now (it adopted it) is left alone.
    await job.moveToWait(token).catch(() => undefined);
    throw new WaitingError();
  }

  /** The task no longer needs this runtime (ended, or handed back to the next owner). */
  leave(taskId: string): void {
    this.active.delete(taskId);
    if (this.active.size === 0 && this.onDrained) {
      this.onDrained();
      this.onDrained = null;
    }
  }

  private onDispatch(t: string, d: unknown): void {
    this.seeds.onDispatch(t, d);
    this.applyEffects(this.correlator.onDispatch(t, d, Date.now()));
  }

  private tick(): void {
    const now = Date.now();
    this.watchReadiness(now);
    this.applyEffects(this.correlator.tick(now));
    if (now - this.lastRecheck >= RECHECK_MS) {
      this.lastRecheck = now;
      void this.processor.recheck(this.waiters.ids());
    }
  }

  applyEffects(effects: CorrelationEffect[]): void {
    for (const effect of effects) {
      if (!effect.taskId) {
        if (effect.type === "account") void this.disable(effect.reason);
        continue;
      }
      const taskId = effect.taskId;
      // Effects of one task are written in order; different tasks go in parallel.
      const previous = this.effectChains.get(taskId) ?? Promise.resolve();
      const next = previous
        .then(() => this.applyEffect(taskId, effect))
        .catch((error) => this.log.error({ taskId, err: (error as Error).message }, "could not apply effect"))
        .finally(() => {
          if (this.effectChains.get(taskId) === next) this.effectChains.delete(taskId);
        });
      this.effectChains.set(taskId, next);
    }
  }

  private async applyEffect(taskId: string, effect: CorrelationEffect): Promise<void> {
    if (effect.type === "retry")
      return this.waiters.release(taskId, { kind: "retry", reason: effect.reason });
    if (effect.type === "queued") return;
    if (effect.type === "modal" || effect.type === "iframe") {
      this.processor.awaitingPopup.delete(taskId);
      return this.processor.modals.onPopup(taskId, effect);
    }
    const record = await this.deps.lifecycle.change(taskId, (current) =>
      effectPatch(current, effect, Date.now()),
    );
    if (effect.type === "account") await this.disable(effect.reason);
    if (record && isTerminal(record.status)) this.waiters.release(taskId, { kind: "ended" });
  }

  private async report(change: {
    owner?: string | null;
    gateway?: string;
    lastError?: string | null;
  }): Promise<void> {
    await this.patchStatus(change).catch(() => undefined);
  }

  /** Registry patches merge inside Redis (AccountDirectory.patch), so reports never undo a disable. */
  private patchStatus(change: Parameters<AccountDirectory["patch"]>[1]): Promise<unknown> {
    return this.deps.directory.patch(this.id, change);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
}

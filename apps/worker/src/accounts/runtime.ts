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
  type AccountConfig,
  type AccountDirectory,
  type BotType,
  isTerminal,
  type KeySpace,
  SEED_JOB_NAME,
  TASK_JOB_NAME,
  type TaskJob,
  type TaskStore,
} from "@mjg/shared";
import { DelayedError, type Job, Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { effectPatch } from "../tasks/effects.js";
import type { TaskLifecycle } from "../tasks/lifecycle.js";
import { TaskProcessor } from "../tasks/processor.js";
import { SeedLookup } from "../tasks/seed.js";
import type { PacingGate } from "./pacing.js";
import { RunningSlots } from "./slots.js";

export interface RuntimeDeps {
  account: AccountConfig;
  discord: DiscordEndpoints;
  store: TaskStore;
  directory: AccountDirectory;
  lifecycle: TaskLifecycle;
  pacing: PacingGate;
  keys: KeySpace;
  /** ioredis connection for BullMQ workers (maxRetriesPerRequest: null). */
  bullConnection: Redis;
  logger: Logger;
  workerId: string;
  timeoutMs: number;
  jobLockMs: number;
  queueFullRetryMs: number;
  /**
   * A gateway session not ready after this long is reported on the account (lastError) and its
   * handshake retried. @defaultValue 15000
   */
  gatewayReadyTimeoutMs?: number;
}

/** What waiting for the account's gateway session came to. */
export type Readiness = "ready" | "stopped" | "timeout" | "refused";

/** Where Discord is: REST, gateway, and Midjourney's activity host (Vary Region). */
export interface DiscordEndpoints {
  apiUrl: string;
  gatewayUrl: string;
  /** @defaultValue https://936929561302675456.discordsays.com */
  activityUrl?: string;
}

export type Waiter = (outcome: WaitOutcome) => void;
export type WaitOutcome =
  | { kind: "ended" }
  | { kind: "retry"; reason: string }
  | { kind: "timeout" }
  /** The runtime stopped: the task is left for the account's next owner, which resumes it. */
  | { kind: "handback" };

/**
 * What a job handed back returns to BullMQ: never settling keeps the job active (neither completed
 * nor failed) until its lock lapses, and stalled-job recovery queues it for the next owner.
 */
export const HANDED_BACK: Promise<never> = new Promise<never>(() => undefined);

const TICK_MS = 250;
// Midjourney bumps command versions now and then: read the index again after this long.
const COMMAND_INDEX_MAX_AGE_MS = 3_600_000;
// A job finding every running slot taken goes back to the queue for this long, freeing its place in
// the BullMQ worker for the handed-over jobs that hold the slots.
const BUSY_RETRY_MS = 500;
// Re-reading waiting tasks catches ends decided elsewhere (the timeout sweeper, an operator).
const RECHECK_MS = 5_000;
const GATEWAY_READY_TIMEOUT_MS = 15_000;

/**
 * Everything one owned account runs: its gateway session, its REST client, the correlator, and the
 * BullMQ worker consuming its queue with the account's concurrency.
 */
export class AccountRuntime {
  readonly gateway: GatewayClient;
  readonly rest: DiscordRest;
  readonly correlator: Correlator;
  readonly slots: RunningSlots;
  private worker: Worker<TaskJob> | null = null;
  private readonly processor: TaskProcessor;
  private readonly waiters = new Map<string, Waiter>();
  private readonly effectChains = new Map<string, Promise<void>>();
  private tickTimer: NodeJS.Timeout | null = null;
  private lastRecheck = 0;
  /** Commands read from the index, by application and name, with when they were read. */
  private readonly commands = new Map<string, { command: ApplicationCommand; readAt: number }>();
  private readonly seeds: SeedLookup;
  private disabled: string | null = null;
  private stopping = false;
  private handingBack = false;
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
    this.processor = new TaskProcessor(this, deps);
    this.seeds = new SeedLookup(this, deps);
  }

  get id(): string {
    return this.deps.account.id;
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
    this.tickTimer = setInterval(() => this.tick(), TICK_MS);
    this.worker = new Worker<TaskJob>(
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
   * Stops taking work. Running tasks get `graceMs` to end; after that their jobs are left to
   * BullMQ's stalled-job recovery, and the next owner resumes them without sending again.
   */
  async stop(graceMs: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const worker = this.worker;
    this.worker = null;
    if (worker) {
      // Pause, not close: BullMQ's close() waits for every running job, and a later close(true) waits too.
      await worker.pause(true).catch(() => undefined);
      if (this.active.size > 0) {
        const graceOver = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
        await Promise.race([this.whenIdle(), graceOver]);
      }
    }
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.tickTimer = null;
    // Still running after the grace: hand back, never fail (the task is fine on Discord's side).
    this.handingBack = true;
    this.stopController.abort(new Error("the account's runtime stopped"));
    for (const waiter of this.waiters.values()) waiter({ kind: "handback" });
    this.waiters.clear();
    await worker?.close(true).catch(() => undefined);
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
    // The queue keeps draining: each waiting task fails at once with the reason instead of at its timeout.
    if (options.failRunning) await this.processor.failWaiting(reason);
  }

  /** Fails the tasks still queued for this account (it leaves rotation) and removes their jobs. */
  async failQueued(reason: string): Promise<number> {
    const queue = new Queue<TaskJob>(this.deps.keys.accountQueue(this.id), {
      connection: this.deps.bullConnection,
      prefix: this.deps.keys.prefix,
    });
    let failed = 0;
    try {
      for (const job of await queue.getJobs(["waiting", "delayed", "prioritized", "paused"])) {
        await this.deps.lifecycle.fail(job.data.taskId, `account disabled: ${reason}`);
        await job.remove().catch(() => undefined);
        failed++;
      }
    } finally {
      await queue.close();
    }
    return failed;
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

  /** Resolves when the task ends, is asked to be resent, or the runtime stops. */
  wait(taskId: string): Promise<WaitOutcome> {
    if (this.handingBack) return Promise.resolve({ kind: "handback" });
    return new Promise((resolve) => this.waiters.set(taskId, resolve));
  }

  release(taskId: string, outcome: WaitOutcome): void {
    const waiter = this.waiters.get(taskId);
    if (!waiter) return;
    this.waiters.delete(taskId);
    waiter(outcome);
  }

  waitingTaskIds(): string[] {
    return [...this.waiters.keys()];
  }

  async catchUp(): Promise<void> {
    try {
      const messages = await this.rest.channelMessages(this.deps.account.channelId, { limit: 50 });
      this.applyEffects(this.correlator.onRestMessages(messages, Date.now()));
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, "catch-up from recent messages failed");
    }
  }

  private async process(job: Job<TaskJob>, token: string | undefined): Promise<void> {
    if (job.name !== TASK_JOB_NAME && job.name !== SEED_JOB_NAME) throw new Error(`unknown job ${job.name}`);
    // A job fetched while stopping is left untouched for the next owner.
    if (this.stopping) return HANDED_BACK;
    const taskId = job.data.taskId;
    // Reading a finished job's seed sends one /show: no running slot, no correlation.
    if (job.name === SEED_JOB_NAME) return this.seeds.lookup(taskId);
    this.active.add(taskId);
    let outcome: "busy" | undefined;
    try {
      outcome = await this.processor.run(taskId);
    } finally {
      this.leave(taskId);
    }
    if (outcome === "busy") {
      await job.moveToDelayed(Date.now() + BUSY_RETRY_MS, token);
      throw new DelayedError();
    }
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
      void this.processor.recheck(this.waitingTaskIds());
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
    if (effect.type === "retry") return this.release(taskId, { kind: "retry", reason: effect.reason });
    if (effect.type === "queued") return;
    if (effect.type === "modal" || effect.type === "iframe")
      return this.processor.modals.onPopup(taskId, effect);
    const record = await this.deps.lifecycle.change(taskId, (current) =>
      effectPatch(current, effect, Date.now()),
    );
    if (effect.type === "account") await this.disable(effect.reason);
    if (record && isTerminal(record.status)) {
      this.release(taskId, { kind: "ended" });
    }
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

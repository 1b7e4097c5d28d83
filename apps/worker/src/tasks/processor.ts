import type { InteractionResult } from "@mjg/discord-client";
import { nextSnowflake } from "@mjg/midjourney";
import { isTerminal, type TaskRecord } from "@mjg/shared";
import type { Logger } from "pino";
import { type PacingGate, sleep } from "../accounts/pacing.js";
import type { RuntimeDeps, TaskAccount } from "./account.js";
import { trackedJob } from "./effects.js";
import { type Prepared, prepareInteraction, type SendContext } from "./interactions.js";
import { expectsModal, ModalSubmitter } from "./modal.js";
import { runUpload } from "./upload.js";
import type { WaitOutcome } from "./waiters.js";

const SERVER_ERROR_RETRIES = 3;

// How long a job whose record is not there yet is tried again before it is taken for a removed task.
const RECORD_GRACE_MS = 30_000;

/**
 * How running a task's job ended: `done` (ended, or nothing to do), `busy` (every running slot of the
 * account is taken, or the record is not there yet: try again shortly), `handedBack` (the runtime
 * stopped: the account's next owner resumes it). Only the runtime turns these into BullMQ terms.
 */
export type RunOutcome = "done" | "busy" | "handedBack";

/** Runs one task on its account: send the interaction once, then wait for Midjourney's answer. */
export class TaskProcessor {
  private readonly log: Logger;
  readonly modals: ModalSubmitter;
  /** Clicked tasks whose pop-up has not been answered yet: it opens only in this gateway session. */
  readonly awaitingPopup = new Set<string>();

  constructor(
    private readonly runtime: TaskAccount,
    private readonly deps: RuntimeDeps,
  ) {
    this.log = deps.logger.child({ account: deps.account.id });
    this.modals = new ModalSubmitter(runtime, deps);
  }

  /** `queuedAt`: when the job was added, so a job that came before its record is tried again, not dropped. */
  async run(taskId: string, queuedAt = 0): Promise<RunOutcome> {
    let outcome: RunOutcome = "done";
    try {
      outcome = await this.runTask(taskId, queuedAt);
      return outcome;
    } finally {
      this.awaitingPopup.delete(taskId);
      // A task handed back while it runs on Discord keeps its slot: it goes with it to the next owner.
      if (outcome !== "handedBack")
        await this.runtime.slots.release(this.deps.account.id, taskId).catch(() => undefined);
    }
  }

  private async runTask(taskId: string, queuedAt: number): Promise<RunOutcome> {
    const { store, lifecycle } = this.deps;
    let record = await store.get(taskId);
    // A record still on its way (a write of another connection) gets a moment; a record long gone, none.
    if (!record) return Date.now() - queuedAt < RECORD_GRACE_MS ? "busy" : "done";
    if (isTerminal(record.status)) {
      await lifecycle.settle(record);
      return "done";
    }
    // A MODAL task's job is only added once its pop-up has a prompt; a stray job waits for nothing.
    if (record.status === "MODAL") return "done";
    // Moved to another account (this one left rotation): its job runs there.
    if (record.accountId !== null && record.accountId !== this.deps.account.id) return "done";
    const deadline = record.submitTime + this.deps.timeoutMs;
    const parent = record.parentId ? await store.get(record.parentId) : null;

    if (record.action === "UPLOAD") {
      await runUpload(record, this.sendContext(record), this.deps);
      return "done";
    }

    if (record.discord.nonce && record.discord.sentAt) return this.resume(record, parent, deadline);

    // At most `concurrency` jobs of the account run on Discord, counting ones another owner handed back.
    const { account } = this.deps;
    if (!(await this.runtime.slots.take(account.id, taskId, deadline, account.concurrency))) return "busy";
    for (;;) {
      const waiting = this.runtime.waiters.wait(taskId, deadline);
      const sent = await this.send(record, parent, deadline);
      if (sent === "handback" || sent === "taken") {
        this.runtime.waiters.release(taskId, { kind: "handback" });
        await waiting;
        // Not sent from here: its slot is freed, unless another process sent it (its job runs on Discord).
        if (sent === "handback") await this.runtime.slots.release(this.deps.account.id, taskId);
        return this.handBack(taskId);
      }
      if (sent === "moved") {
        this.runtime.waiters.release(taskId, { kind: "ended" });
        await waiting;
        return "done";
      }
      record = sent;
      if (!record || isTerminal(record.status)) {
        this.runtime.waiters.release(taskId, { kind: "ended" });
        await waiting;
        if (record) await lifecycle.settle(record);
        return "done";
      }
      const outcome = await waiting;
      if (outcome.kind !== "retry") return this.finish(taskId, outcome);
      // Midjourney's own queue was full: send again later with a new nonce.
      this.log.warn({ taskId, reason: outcome.reason }, "Midjourney queue full; sending again later");
      const remaining = deadline - Date.now();
      if (remaining <= this.deps.queueFullRetryMs) return this.finish(taskId, { kind: "timeout" });
      if (!(await this.pause(this.deps.queueFullRetryMs))) return this.handBack(taskId);
      record = await store
        .update(taskId, (current) =>
          isTerminal(current.status) ? null : { discord: { nonce: null, sentAt: null } },
        )
        .then((result) => (result.outcome === "missing" ? null : result.record));
      if (!record || isTerminal(record.status)) {
        if (record) await lifecycle.settle(record);
        return "done";
      }
    }
  }

  /**
   * A task sent before by an owner that died or handed it back: watch for its result (also the one
   * already in the channel), answer a pop-up it saw but did not answer, never click or send again.
   */
  private async resume(record: TaskRecord, parent: TaskRecord | null, deadline: number): Promise<RunOutcome> {
    const taskId = record._id;
    this.log.info({ taskId }, "resuming a task that was already sent");
    const waiting = this.runtime.waiters.wait(taskId, deadline);
    this.runtime.correlator.track(trackedJob(record, parent));
    // The running slot is re-owned here, whatever the capacity: the job already runs on Discord.
    await this.runtime.slots.hold(this.deps.account.id, taskId, deadline);
    await this.modals.resume(record, parent);
    await this.runtime.catchUp();
    return this.finish(taskId, await waiting);
  }

  /** Fails every task this account is waiting on (the account was taken out of rotation). */
  async failWaiting(reason: string): Promise<void> {
    for (const taskId of this.runtime.waiters.ids()) {
      const record = await this.deps.lifecycle.fail(taskId, `account disabled: ${reason}`);
      if (record) this.runtime.waiters.release(taskId, { kind: "ended" });
    }
  }

  /** Re-reads waiting tasks: one ended elsewhere (timeout sweeper) releases its job. */
  async recheck(taskIds: string[]): Promise<void> {
    if (taskIds.length === 0) return;
    const records = await this.deps.store.getMany(taskIds).catch(() => []);
    records.forEach((record, i) => {
      if (!record || isTerminal(record.status)) this.runtime.waiters.release(taskIds[i]!, { kind: "ended" });
    });
  }

  /** Waits `ms`; false when the runtime stopped meanwhile. */
  private async pause(ms: number): Promise<boolean> {
    try {
      await sleep(ms, this.runtime.signal);
      return true;
    } catch {
      return false;
    }
  }

  /** Leaves the task to the account's next owner, which resumes it (or sends it, when it was not sent). */
  private handBack(taskId: string): RunOutcome {
    this.runtime.correlator.untrack(taskId);
    this.log.info({ taskId }, "handing the task back to the next owner");
    return "handedBack";
  }

  private async finish(taskId: string, outcome: WaitOutcome): Promise<RunOutcome> {
    if (outcome.kind === "handback") return this.handBack(taskId);
    this.runtime.correlator.untrack(taskId);
    const record =
      outcome.kind === "timeout"
        ? await this.deps.lifecycle.fail(taskId, "timeout")
        : await this.deps.store.get(taskId);
    if (record) await this.deps.lifecycle.settle(record);
    return "done";
  }

  /**
   * Saves a fresh nonce, then sends the interaction. Returns the record as it stands after sending
   * (FAILURE when Discord refused it for good), "handback" when the runtime stopped before sending,
   * "taken" when another process saved its nonce first (and sends it), "moved" when the account left
   * rotation and the task went to another account.
   */
  private async send(
    record: TaskRecord,
    parent: TaskRecord | null,
    deadline: number,
  ): Promise<TaskRecord | null | "handback" | "taken" | "moved"> {
    const { lifecycle, store, account, pacing } = this.deps;
    const taskId = record._id;
    let serverErrors = 0;
    let refreshedCommand = false;
    let prepared: Prepared | null = null;
    for (;;) {
      // A stopping runtime sends nothing new: the next owner sends it instead.
      if (this.runtime.isStopping) return "handback";
      if (Date.now() >= deadline) return lifecycle.fail(taskId, "timeout");
      if (this.runtime.disabledReason) {
        const moved = await this.runtime.moveOrFail(taskId, this.runtime.disabledReason);
        return moved === "moved" ? "moved" : store.get(taskId);
      }
      try {
        prepared ??= await prepareInteraction(record, parent, this.sendContext(record));
      } catch (error) {
        // Uploads go to Discord too: a refusal there ends the task with Discord's words.
        return lifecycle.fail(taskId, `[Upload failed] ${(error as Error).message}`);
      }
      if (prepared.kind === "refused") return lifecycle.fail(taskId, prepared.reason);
      // Only this account waits for its session; a gateway that never gets ready ends the task at its deadline.
      const readiness = await this.runtime.ready(deadline);
      if (readiness === "stopped") return "handback";
      if (readiness === "timeout") return lifecycle.fail(taskId, "timeout");
      if (readiness === "refused") {
        // Refused for good (4004 and the like): the account leaves rotation, the task moves if it can.
        const reason = this.runtime.disabledReason ?? "Discord refused the gateway session";
        return (await this.runtime.moveOrFail(taskId, reason)) === "moved" ? "moved" : store.get(taskId);
      }
      const body = await prepared.build({
        guildId: account.guildId,
        channelId: account.channelId,
        sessionId: this.runtime.sessionId,
        nonce: "",
      });

      let ticket: Awaited<ReturnType<PacingGate["pass"]>>;
      try {
        ticket = await pacing.pass(account.id, account, this.runtime.signal);
      } catch {
        return "handback";
      }
      let result: InteractionResult;
      try {
        if (this.runtime.isStopping) return "handback";
        // The nonce is saved before the request: a rerun after a crash resumes instead of sending twice.
        const nonce = nextSnowflake();
        const before = record.discord.nonce;
        // Saved only if no other process saved one meanwhile: two owners at once still send once.
        const saved = await store.update(taskId, (current) =>
          isTerminal(current.status) || current.discord.nonce !== before
            ? null
            : { discord: { nonce, sentAt: Date.now(), sends: current.discord.sends + 1 } },
        );
        if (saved.outcome === "missing") return null;
        record = saved.record;
        if (isTerminal(record.status)) return record;
        if (saved.outcome === "unchanged") return "taken";
        this.runtime.correlator.track(trackedJob(record, parent));
        result = await this.runtime.rest.sendInteraction({ ...body, nonce });
      } finally {
        // The next send of this account waits a full gap from here, whatever happened.
        await ticket.done().catch(() => undefined);
      }

      if (result.kind === "ok") {
        if (record.discord.modalSentAt === null && expectsModal(record, parent))
          this.awaitingPopup.add(taskId);
        if (prepared.endsOnAccept) {
          // ❤️ and the like start no job: Discord's acceptance is the whole result.
          this.runtime.correlator.untrack(taskId);
          const now = Date.now();
          return lifecycle.change(taskId, (current) => ({
            status: "SUCCESS",
            startTime: current.startTime ?? now,
            finishTime: now,
          }));
        }
        return lifecycle.change(taskId, (current) =>
          current.status === "NOT_START"
            ? { status: "SUBMITTED", startTime: current.startTime ?? Date.now() }
            : null,
        );
      }
      // Not accepted: nothing runs on Discord's side, so a rerun may send again.
      this.runtime.correlator.untrack(taskId);
      await store.update(taskId, (current) =>
        isTerminal(current.status) ? null : { discord: { sentAt: null } },
      );
      switch (result.kind) {
        case "rate_limited":
          this.log.warn(
            { taskId, retryAfterMs: result.retryAfterMs, global: result.global },
            "rate limited by Discord",
          );
          if (!(await this.pause(result.retryAfterMs))) return "handback";
          continue;
        case "unauthorized":
          await this.runtime.disable(`Discord answered ${result.status}: ${result.message}`);
          return lifecycle.fail(taskId, `account disabled: Discord answered ${result.status}`);
        case "bad_request":
          if (prepared.commandName && !refreshedCommand) {
            // A stale command version is refused as an invalid form: refresh the index once and retry.
            refreshedCommand = true;
            await this.runtime.command(prepared.commandName, record.botType, true);
            continue;
          }
          return lifecycle.fail(taskId, `[Discord ${result.status}] ${result.message}`);
        case "not_found":
          return lifecycle.fail(taskId, `[Discord 404] ${result.message}`);
        case "server_error":
          if (++serverErrors > SERVER_ERROR_RETRIES)
            return lifecycle.fail(taskId, `Discord unavailable: ${result.message}`);
          if (!(await this.pause(1_000 * 2 ** serverErrors))) return "handback";
          continue;
      }
    }
  }

  /** What preparing an interaction needs from this account. */
  private sendContext(record: TaskRecord): SendContext {
    const { account, keys, bullConnection, store } = this.deps;
    return {
      rest: this.runtime.rest,
      guildId: account.guildId,
      channelId: account.channelId,
      redis: bullConnection,
      keys,
      command: (name, botType, refresh) => this.runtime.command(name, botType, refresh),
      savePromptEn: async (promptEn) => {
        await store.update(record._id, (current) => (isTerminal(current.status) ? null : { promptEn }));
      },
    };
  }
}

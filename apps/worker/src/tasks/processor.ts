import type { InteractionResult } from "@mjg/discord-client";
import { nextSnowflake } from "@mjg/midjourney";
import { isTerminal, type TaskRecord } from "@mjg/shared";
import type { Logger } from "pino";
import { sleep } from "../accounts/pacing.js";
import { type AccountRuntime, HANDED_BACK, type RuntimeDeps, type WaitOutcome } from "../accounts/runtime.js";
import { trackedJob } from "./effects.js";
import { type Prepared, prepareInteraction, type SendContext } from "./interactions.js";
import { ModalSubmitter } from "./modal.js";
import { runUpload } from "./upload.js";

const SERVER_ERROR_RETRIES = 3;

/** Runs one task on its account: send the interaction once, then wait for Midjourney's answer. */
export class TaskProcessor {
  private readonly log: Logger;
  readonly modals: ModalSubmitter;

  constructor(
    private readonly runtime: AccountRuntime,
    private readonly deps: RuntimeDeps,
  ) {
    this.log = deps.logger.child({ account: deps.account.id });
    this.modals = new ModalSubmitter(runtime, deps);
  }

  /** "busy": every running slot of the account is taken (by tasks handed over from another owner). */
  async run(taskId: string): Promise<"busy" | undefined> {
    try {
      return await this.runTask(taskId);
    } finally {
      // Not reached by a task handed back while it runs: its slot goes with it to the next owner.
      await this.runtime.slots.release(this.deps.account.id, taskId).catch(() => undefined);
    }
  }

  private async runTask(taskId: string): Promise<"busy" | undefined> {
    const { store, lifecycle } = this.deps;
    let record = await store.get(taskId);
    if (!record) return;
    if (isTerminal(record.status)) {
      await lifecycle.settle(record);
      return;
    }
    // A MODAL task's job is only added once its pop-up has a prompt; a stray job waits for nothing.
    if (record.status === "MODAL") return;
    const deadline = record.submitTime + this.deps.timeoutMs;
    const parent = record.parentId ? await store.get(record.parentId) : null;

    if (record.action === "UPLOAD") {
      await runUpload(record, this.sendContext(record), this.deps);
      return;
    }

    if (record.discord.nonce && record.discord.sentAt) {
      // Sent before by a worker that died or handed the task back: watch, never send twice.
      this.log.info({ taskId }, "resuming a task that was already sent");
      const waiting = this.waitUntil(taskId, deadline);
      this.runtime.correlator.track(trackedJob(record, parent));
      await this.runtime.slots.hold(this.deps.account.id, taskId, deadline);
      await this.modals.resume(record, parent);
      await this.runtime.catchUp();
      await this.finish(taskId, await waiting);
      return;
    }

    // At most `concurrency` jobs of the account run on Discord, counting ones another owner handed back.
    const { account } = this.deps;
    if (!(await this.runtime.slots.take(account.id, taskId, deadline, account.concurrency))) return "busy";
    for (;;) {
      const waiting = this.waitUntil(taskId, deadline);
      const sent = await this.send(record, parent, deadline);
      if (sent === "handback") {
        this.runtime.release(taskId, { kind: "handback" });
        await waiting;
        // Not sent: nothing runs on Discord's side, so it needs no running slot.
        await this.runtime.slots.release(this.deps.account.id, taskId);
        await this.handBack(taskId);
        return;
      }
      record = sent;
      if (!record || isTerminal(record.status)) {
        this.runtime.release(taskId, { kind: "ended" });
        await waiting;
        if (record) await lifecycle.settle(record);
        return;
      }
      const outcome = await waiting;
      if (outcome.kind !== "retry") {
        await this.finish(taskId, outcome);
        return;
      }
      // Midjourney's own queue was full: send again later with a new nonce.
      this.log.warn({ taskId, reason: outcome.reason }, "Midjourney queue full; sending again later");
      const remaining = deadline - Date.now();
      if (remaining <= this.deps.queueFullRetryMs) {
        await this.finish(taskId, { kind: "timeout" });
        return;
      }
      await sleep(this.deps.queueFullRetryMs);
      record = await store
        .update(taskId, (current) =>
          isTerminal(current.status) ? null : { discord: { nonce: null, sentAt: null } },
        )
        .then((result) => (result.outcome === "missing" ? null : result.record));
      if (!record || isTerminal(record.status)) {
        if (record) await lifecycle.settle(record);
        return;
      }
    }
  }

  /** Fails every task this account is waiting on (the account was taken out of rotation). */
  async failWaiting(reason: string): Promise<void> {
    for (const taskId of this.runtime.waitingTaskIds()) {
      const record = await this.deps.lifecycle.fail(taskId, `account disabled: ${reason}`);
      if (record) this.runtime.release(taskId, { kind: "ended" });
    }
  }

  /** Re-reads waiting tasks: one ended elsewhere (timeout sweeper) releases its job. */
  async recheck(taskIds: string[]): Promise<void> {
    if (taskIds.length === 0) return;
    const records = await this.deps.store.getMany(taskIds).catch(() => []);
    records.forEach((record, i) => {
      if (!record || isTerminal(record.status)) this.runtime.release(taskIds[i]!, { kind: "ended" });
    });
  }

  private waitUntil(taskId: string, deadline: number): Promise<WaitOutcome> {
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => this.runtime.release(taskId, { kind: "timeout" }),
        Math.max(0, deadline - Date.now()),
      );
      void this.runtime.wait(taskId).then((outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      });
    });
  }

  /** Leaves the task to the account's next owner: its job stays active until stalled-job recovery. */
  private handBack(taskId: string): Promise<never> {
    this.runtime.correlator.untrack(taskId);
    this.log.info({ taskId }, "handing the task back to the next owner");
    this.runtime.leave(taskId);
    return HANDED_BACK;
  }

  private async finish(taskId: string, outcome: WaitOutcome): Promise<void> {
    if (outcome.kind === "handback") return this.handBack(taskId);
    this.runtime.correlator.untrack(taskId);
    const record =
      outcome.kind === "timeout"
        ? await this.deps.lifecycle.fail(taskId, "timeout")
        : await this.deps.store.get(taskId);
    if (record) await this.deps.lifecycle.settle(record);
  }

  /**
   * Saves a fresh nonce, then sends the interaction. Returns the record as it stands after sending
   * (FAILURE when Discord refused it for good).
   */
  private async send(
    record: TaskRecord,
    parent: TaskRecord | null,
    deadline: number,
  ): Promise<TaskRecord | null | "handback"> {
    const { lifecycle, store, account, pacing } = this.deps;
    const taskId = record._id;
    let serverErrors = 0;
    let refreshedCommand = false;
    let prepared: Prepared | null = null;
    for (;;) {
      // A stopping runtime sends nothing new: the next owner sends it instead.
      if (this.runtime.isStopping) return "handback";
      if (Date.now() >= deadline) return lifecycle.fail(taskId, "timeout");
      if (this.runtime.disabledReason)
        return lifecycle.fail(taskId, `account disabled: ${this.runtime.disabledReason}`);
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
      if (readiness === "refused")
        return lifecycle.fail(
          taskId,
          `account disabled: ${this.runtime.disabledReason ?? "Discord refused the gateway session"}`,
        );
      const body = await prepared.build({
        guildId: account.guildId,
        channelId: account.channelId,
        sessionId: this.runtime.gateway.sessionId ?? "",
        nonce: "",
      });

      const ticket = await pacing.pass(account.id, account);
      let result: InteractionResult;
      try {
        if (this.runtime.isStopping) return "handback";
        // The nonce is saved before the request: a rerun after a crash resumes instead of sending twice.
        const nonce = nextSnowflake();
        const saved = await store.update(taskId, (current) =>
          isTerminal(current.status)
            ? null
            : { discord: { nonce, sentAt: Date.now(), sends: current.discord.sends + 1 } },
        );
        if (saved.outcome === "missing") return null;
        record = saved.record;
        if (isTerminal(record.status)) return record;
        this.runtime.correlator.track(trackedJob(record, parent));
        result = await this.runtime.rest.sendInteraction({ ...body, nonce });
      } finally {
        // The next send of this account waits a full gap from here, whatever happened.
        await ticket.done().catch(() => undefined);
      }

      if (result.kind === "ok") {
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
          await sleep(result.retryAfterMs);
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
          await sleep(1_000 * 2 ** serverErrors);
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

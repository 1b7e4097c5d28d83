import type { InteractionResult } from "@mjg/discord-client";
import {
  type CorrelationEffect,
  inpaintJobBody,
  modalIdsFor,
  modalSubmitInteraction,
  nextSnowflake,
  picReaderPrompts,
  planButton,
} from "@mjg/midjourney";
import { isTerminal, type TaskRecord } from "@mjg/shared";
import { sleep } from "../accounts/pacing.js";
import type { RuntimeDeps, TaskAccount } from "./account.js";
import { trackedJob } from "./effects.js";
import { maskBase64, taskImages } from "./images.js";
import { applicationOf, customIdOf } from "./interactions.js";

export type PopupEffect = Extract<CorrelationEffect, { type: "modal" } | { type: "iframe" }>;

/** Midjourney's activity host, where Vary (Region) jobs are submitted (docs/discord-protocol.md §1.4). */
export const DEFAULT_ACTIVITY_URL = "https://936929561302675456.discordsays.com";
const IFRAME_PREFIX = "MJ::iframe::";
const SEND_ATTEMPTS = 4;
// Longest an answer waits for the account's gateway session before counting as a failed attempt.
const READY_WAIT_MS = 15_000;

/** Discord's refusal as a failReason. */
export function refusalText(result: Exclude<InteractionResult, { kind: "ok" }>): string {
  switch (result.kind) {
    case "rate_limited":
      return `rate limited for ${result.retryAfterMs} ms`;
    case "not_found":
      return `[Discord 404] ${result.message}`;
    default:
      return `[Discord ${result.status}] ${result.message}`;
  }
}

/**
 * The prompt a pop-up is answered with: the one the client gave through `/mj/submit/modal`, else the
 * task's or its parent's, so a Remix pop-up nobody expected never leaves a task hanging.
 */
export function modalPrompt(record: TaskRecord, parent: TaskRecord | null): string {
  const customId = customIdOf(record, parent) ?? "";
  let prompt = record.params.modalPrompt?.trim() || "";
  if (!prompt) {
    // Describe's 1️⃣–4️⃣ and shorten's numbered buttons pre-fill their pop-up with that prompt.
    const numbered = /^MJ::Job::(?:PicReader|PromptAnalyzer)::(\d)$/.exec(customId);
    if (numbered && parent?.finalPrompt)
      prompt = picReaderPrompts(parent.finalPrompt)[Number(numbered[1]) - 1] ?? "";
  }
  if (!prompt) {
    prompt =
      record.promptEn?.trim() ||
      parent?.finalPrompt?.trim() ||
      parent?.promptEn?.trim() ||
      parent?.prompt?.trim() ||
      "";
  }
  // Custom Zoom's pop-up takes the zoom factor inside the prompt (1 to 2).
  if (customId.startsWith("MJ::CustomZoom::") && !/--zoom\s/.test(prompt))
    prompt = `${prompt} --zoom 2`.trim();
  return prompt;
}

/** Whether the task's click opens a pop-up that it must answer. */
export function expectsModal(record: TaskRecord, parent: TaskRecord | null): boolean {
  const customId = customIdOf(record, parent);
  if (!customId || !parent) return false;
  const plan = planButton(customId, parent.action);
  return (
    plan?.modal === "always" ||
    plan?.iframe === true ||
    record.params.remix ||
    record.params.modalPrompt !== null
  );
}

/** Answers the pop-ups that clicks open: a modal submit (type 5), or Vary Region's job on the activity host. */
export class ModalSubmitter {
  constructor(
    private readonly runtime: TaskAccount,
    private readonly deps: RuntimeDeps,
  ) {}

  /** A pop-up opened for a task: remember it (a new owner can answer it), then answer it once. */
  async onPopup(taskId: string, effect: PopupEffect): Promise<void> {
    const { store } = this.deps;
    const saved = await store.update(taskId, (current) =>
      isTerminal(current.status) || current.discord.modalSentAt !== null
        ? null
        : { discord: { modalInteractionId: effect.interactionId, modalCustomId: effect.customId } },
    );
    if (saved.outcome !== "updated") return;
    const record = saved.record;
    const parent = record.parentId ? await store.get(record.parentId) : null;
    await this.noteRemix(record, parent);
    const fieldCustomId = effect.type === "modal" ? effect.fieldCustomId : null;
    await this.submit(record, parent, fieldCustomId);
  }

  /** After a crash: answer a pop-up the previous owner saw but did not answer; a lost one ends the task. */
  async resume(record: TaskRecord, parent: TaskRecord | null): Promise<void> {
    if (record.discord.modalSentAt !== null) return;
    if (record.discord.modalInteractionId) return this.submit(record, parent, null);
    if (expectsModal(record, parent)) {
      // The pop-up went to the dead owner's gateway session; clicking again would be a second click.
      const failed = await this.deps.lifecycle.fail(
        record._id,
        "[Modal lost] the pop-up opened while the worker handling it stopped; submit the task again",
      );
      if (failed) this.runtime.waiters.release(record._id, { kind: "ended" });
    }
  }

  /** Sends the answer once: its nonce is saved first, so a rerun never answers twice. */
  private async submit(
    record: TaskRecord,
    parent: TaskRecord | null,
    fieldFromEvent: string | null,
  ): Promise<void> {
    const { store, lifecycle, account, pacing } = this.deps;
    const taskId = record._id;
    const interactionId = record.discord.modalInteractionId;
    const modalCustomId = record.discord.modalCustomId;
    if (!interactionId || !modalCustomId) return;
    const prompt = modalPrompt(record, parent);
    const customId = customIdOf(record, parent) ?? "";
    const nonce = nextSnowflake();
    const saved = await store.update(taskId, (current) =>
      isTerminal(current.status) || current.discord.modalSentAt !== null
        ? null
        : { discord: { modalNonce: nonce, modalSentAt: Date.now() } },
    );
    if (saved.outcome !== "updated") return;
    // From here Midjourney's messages for this task carry the submit's nonce.
    this.runtime.correlator.track(trackedJob(saved.record, parent));
    let result: InteractionResult = { kind: "server_error", status: 0, message: "not sent" };
    for (let attempt = 0; attempt < SEND_ATTEMPTS; attempt++) {
      const ticket = await pacing.pass(account.id, account);
      try {
        result = await this.send(record, parent, {
          nonce,
          prompt,
          interactionId,
          modalCustomId,
          customId,
          fieldFromEvent,
        });
      } finally {
        await ticket.done().catch(() => undefined);
      }
      // Refused before anything ran: waiting and sending the same answer again is safe.
      if (result.kind === "rate_limited") await sleep(result.retryAfterMs);
      else if (result.kind === "server_error") await sleep(1_000 * 2 ** attempt);
      else break;
    }
    if (result.kind === "ok") {
      await lifecycle.change(taskId, (current) =>
        current.status === "NOT_START"
          ? { status: "SUBMITTED", startTime: current.startTime ?? Date.now() }
          : null,
      );
      return;
    }
    // A refused answer starts no job: the task ends with Discord's words instead of at its timeout.
    this.runtime.correlator.untrack(taskId);
    const failed = await lifecycle.fail(taskId, `[Modal refused] ${refusalText(result)}`);
    if (failed) this.runtime.waiters.release(taskId, { kind: "ended" });
  }

  private async send(
    record: TaskRecord,
    parent: TaskRecord | null,
    answer: {
      nonce: string;
      prompt: string;
      interactionId: string;
      modalCustomId: string;
      customId: string;
      fieldFromEvent: string | null;
    },
  ): Promise<InteractionResult> {
    const { account } = this.deps;
    if (answer.modalCustomId.startsWith(IFRAME_PREFIX)) {
      const stored = await taskImages(this.deps.bullConnection, this.deps.keys, record._id);
      const mask = record.params.hasMask ? stored.at(-1) : undefined;
      if (!mask)
        return { kind: "bad_request", status: 400, code: null, message: "Vary (Region) needs a mask" };
      const activityUrl = (this.deps.discord.activityUrl ?? DEFAULT_ACTIVITY_URL).replace(/\/+$/, "");
      return this.runtime.rest.postExternal(
        `${activityUrl}/inpaint/api/submit-job`,
        inpaintJobBody({
          iframeCustomId: answer.modalCustomId,
          mask: maskBase64(mask),
          prompt: answer.prompt,
        }),
      );
    }
    const fieldCustomId =
      answer.fieldFromEvent ??
      modalIdsFor(answer.customId, parent?.discord.messageId ?? "")?.fieldCustomId ??
      "MJ::RemixModal::new_prompt";
    if ((await this.runtime.ready(Date.now() + READY_WAIT_MS)) !== "ready")
      return { kind: "server_error", status: 0, message: "gateway session not ready" };
    return this.runtime.rest.sendInteraction(
      modalSubmitInteraction({
        guildId: account.guildId,
        channelId: account.channelId,
        sessionId: this.runtime.sessionId,
        nonce: answer.nonce,
        applicationId: applicationOf(parent?.botType ?? record.botType),
        interactionId: answer.interactionId,
        modalCustomId: answer.modalCustomId,
        fieldCustomId,
        value: answer.prompt,
      }),
    );
  }

  /** A Remix pop-up on an account not known to have Remix on: record it, so the API asks clients next time. */
  private async noteRemix(record: TaskRecord, parent: TaskRecord | null): Promise<void> {
    const customId = customIdOf(record, parent);
    if (!customId || !parent || planButton(customId, parent.action)?.modal !== "remix") return;
    const status = await this.deps.directory.get(this.deps.account.id);
    if (status && !status.remix) await this.deps.directory.patch(this.deps.account.id, { remix: true });
  }
}

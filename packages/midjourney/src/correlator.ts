import { buttonsOf, fieldIdOf } from "./buttons.js";
import { MIDJOURNEY_APPLICATION_ID, NIJI_APPLICATION_ID } from "./commands.js";
import { normalizePrompt, type ParsedContent, parseContent, promptMatches } from "./content.js";
import { classifyEmbed, type EmbedKind } from "./embeds.js";
import {
  answersWithText,
  commandNameOf,
  familyOf,
  type JobFamily,
  kindFits,
  matchedByPrompt,
} from "./families.js";
import type { CorrelationEffect, SuccessResult, TrackedJob } from "./jobs.js";
import { type DiscordEmbed, type DiscordMessage, jobHashOf, messageUserId, parseMessage } from "./message.js";
import { snowflakeTime } from "./snowflake.js";

export interface CorrelatorOptions {
  /**
   * The account's Discord user id; messages about other users are ignored once known. Unset, it is
   * learned from the first message that carries one of our nonces.
   */
  userId?: string;
  /** The account's channel: messages elsewhere are ignored. */
  channelId: string;
  /**
   * How long an ambiguous final (same prompt twice at once) waits for a MESSAGE_DELETE of a
   * candidate's progress message before `tick` gives it to the oldest candidate.
   * @defaultValue 1000
   */
  ambiguityWindowMs?: number;
  /**
   * How recent a job must be to claim an INTERACTION_CREATE that carries no nonce.
   * @defaultValue 60000
   */
  interactionClaimWindowMs?: number;
  /**
   * REST catch-up ignores results posted this long before a job was sent (clock skew allowance).
   * @defaultValue 10000
   */
  clockSkewMs?: number;
  /**
   * How many handled message ids are remembered, so REST catch-up never re-emits effects.
   * @defaultValue 500
   */
  handledMemory?: number;
}

interface JobState {
  job: TrackedJob;
  family: JobFamily;
  /** Highest progress reported; progress never goes backwards. */
  progress: number;
  /** The prompt as Midjourney echoed it on the job's waiting message (a blend's s.mj.run links). */
  echoed?: string;
  /** Interactions of the click that opened a pop-up: never the job's own (its messages follow the submit). */
  staleInteractions: Set<string>;
  /** Vary (Region) opened its editor; the mask goes over HTTP, so the click's interaction stays the job's. */
  editorOpened?: boolean;
}

interface PendingFinal {
  message: DiscordMessage;
  parsed: ParsedContent;
  /** Task ids that could own this final. */
  candidates: string[];
  receivedAt: number;
}

type Source = "create" | "update" | "rest";

const EPHEMERAL = 64;
// Snowflakes older than this cannot be real Discord ids (a simulator may mint small counters).
const PLAUSIBLE_SNOWFLAKE_TIME = Date.UTC(2021, 0, 1);

/**
 * Turns gateway dispatches and REST messages of one account's channel into task effects.
 * Pure: no I/O and no clock; the caller passes `now` and applies the effects.
 */
export class Correlator {
  private readonly jobs = new Map<string, JobState>();
  private readonly pending: PendingFinal[] = [];
  private readonly handled = new Set<string>();
  private userId: string | undefined;
  private readonly channelId: string;
  private readonly ambiguityWindowMs: number;
  private readonly interactionClaimWindowMs: number;
  private readonly clockSkewMs: number;
  private readonly handledMemory: number;

  constructor(opts: CorrelatorOptions) {
    this.userId = opts.userId;
    this.channelId = opts.channelId;
    this.ambiguityWindowMs = opts.ambiguityWindowMs ?? 1000;
    this.interactionClaimWindowMs = opts.interactionClaimWindowMs ?? 60_000;
    this.clockSkewMs = opts.clockSkewMs ?? 10_000;
    this.handledMemory = opts.handledMemory ?? 500;
  }

  /** Sets the account's user id once READY tells it. */
  setUserId(userId: string): void {
    this.userId = userId;
  }

  /**
   * Follows a job. Tracking a task again (after a pop-up was submitted, with the submit's nonce)
   * replaces what was known about it.
   */
  track(job: TrackedJob): void {
    const stale = new Set(this.jobs.get(job.taskId)?.staleInteractions ?? []);
    const copy = { ...job };
    if (copy.interactionId && stale.has(copy.interactionId)) delete copy.interactionId;
    this.jobs.set(job.taskId, { job: copy, family: familyOf(copy), progress: -1, staleInteractions: stale });
  }

  untrack(taskId: string): void {
    this.jobs.delete(taskId);
  }

  tracked(): TrackedJob[] {
    return [...this.jobs.values()].map((state) => ({ ...state.job }));
  }

  /** A gateway dispatch (op 0): `t` and `d` as received. */
  onDispatch(t: string, d: unknown, now: number): CorrelationEffect[] {
    switch (t) {
      case "INTERACTION_CREATE":
      case "INTERACTION_SUCCESS":
        return this.onInteraction(d, now);
      case "INTERACTION_FAILURE":
        return this.onInteractionFailure(d);
      case "INTERACTION_MODAL_CREATE":
        return this.onModal(d);
      case "INTERACTION_IFRAME_MODAL_CREATE":
        return this.onIframeModal(d);
      case "MESSAGE_CREATE":
        return this.onRawMessage(d, now, "create");
      case "MESSAGE_UPDATE":
        return this.onRawMessage(d, now, "update");
      case "MESSAGE_DELETE":
        return this.onDelete(d);
      default:
        return [];
    }
  }

  /**
   * Catch-up after a restart: a GET /channels/:id/messages answer (newest first, as Discord
   * returns it). Messages already handled are skipped, so calling this repeatedly is safe.
   */
  onRestMessages(messages: unknown[], now: number): CorrelationEffect[] {
    const parsed: DiscordMessage[] = [];
    for (const raw of messages) {
      const message = this.accept(raw, "rest");
      if (message) parsed.push(message);
    }
    // Replay in the order Discord posted them: oldest first.
    parsed.sort((a, b) => compareSnowflakes(a.id, b.id));
    const effects: CorrelationEffect[] = [];
    for (const message of parsed) effects.push(...this.onMessage(message, now, "rest"));
    return effects;
  }

  /** Gives ambiguous finals whose window has passed to the oldest remaining candidate (FIFO by sentAt). */
  tick(now: number): CorrelationEffect[] {
    const effects: CorrelationEffect[] = [];
    for (const pending of [...this.pending]) {
      if (!this.pending.includes(pending)) continue;
      if (now - pending.receivedAt < this.ambiguityWindowMs) continue;
      const owner = this.oldest(pending.candidates.map((id) => this.jobs.get(id)));
      if (owner) effects.push(...this.succeed(owner, pending.message, pending.parsed));
      else this.dropPending(pending);
    }
    return effects;
  }

  // ---- interactions (§3.7) ----

  private onInteraction(d: unknown, now: number): CorrelationEffect[] {
    const event = asRecord(d);
    const id = stringOf(event?.["id"]);
    if (!id) return [];
    const nonce = stringOf(event?.["nonce"]);
    let state: JobState | undefined;
    if (this.find((s) => s.staleInteractions.has(id))) return [];
    if (nonce) {
      state = this.find((s) => s.job.nonce === nonce);
      // Tracked again after a pop-up: the submit's interaction replaces the click's.
      if (state && state.job.interactionId !== id) delete state.job.interactionId;
    } else if (!this.find((s) => s.job.interactionId === id)) {
      // Discord did not echo nonces in 2023 (gw-01): the oldest recently sent job that has no
      // interaction yet claims it, since interactions are answered in the order they were sent.
      state = this.oldest(
        [...this.jobs.values()].filter(
          (s) =>
            !s.job.interactionId &&
            !s.job.progressMessageId &&
            now - s.job.sentAt <= this.interactionClaimWindowMs,
        ),
      );
    }
    if (!state || state.job.interactionId) return [];
    state.job.interactionId = id;
    return [{ type: "started", taskId: state.job.taskId, interactionId: id }];
  }

  private onInteractionFailure(d: unknown): CorrelationEffect[] {
    const event = asRecord(d);
    const id = stringOf(event?.["id"]);
    const nonce = stringOf(event?.["nonce"]);
    const state = this.find(
      (s) => (nonce !== undefined && s.job.nonce === nonce) || s.job.interactionId === id,
    );
    if (!state) return [];
    const code = event?.["reason_code"];
    return this.fail(
      state,
      `Interaction failed${code === undefined ? "" : ` (reason_code ${String(code)})`}`,
    );
  }

  /** A click opened a text pop-up (§1.4): the worker fills it in and submits it. */
  private onModal(d: unknown): CorrelationEffect[] {
    const event = asRecord(d);
    const id = stringOf(event?.["id"]);
    const nonce = stringOf(event?.["nonce"]);
    const customId = stringOf(event?.["custom_id"]);
    const state = nonce ? this.find((s) => s.job.nonce === nonce) : undefined;
    if (!state || !id || !customId) return [];
    this.clickOpenedPopUp(state, id);
    return [
      {
        type: "modal",
        taskId: state.job.taskId,
        interactionId: id,
        customId,
        fieldCustomId: fieldIdOf(event?.["components"]),
      },
    ];
  }

  private onIframeModal(d: unknown): CorrelationEffect[] {
    const event = asRecord(d);
    const path = stringOf(event?.["iframe_path"]) ?? "";
    const nonce = stringOf(event?.["nonce"]);
    const byNonce = nonce ? this.find((s) => s.job.nonce === nonce) : undefined;
    // MJ's Cloudflare check arrives as an iframe modal on /captcha/embedded/… (§3.7).
    if (path.includes("captcha")) {
      const reason = "[Action required to continue] captcha";
      if (!byNonce) return [{ type: "account", reason, kind: "captcha" }];
      this.jobs.delete(byNonce.job.taskId);
      return [{ type: "account", taskId: byNonce.job.taskId, reason, kind: "captcha" }];
    }
    const id = stringOf(event?.["id"]);
    const customId = stringOf(event?.["custom_id"]);
    if (!id || !customId) return [];
    // The event may lack a nonce (§3.7): then the oldest Vary (Region) click still waiting for its editor.
    const state =
      byNonce ??
      (nonce
        ? undefined
        : this.oldest(
            [...this.jobs.values()].filter(
              (s) => s.family === "region" && !s.job.progressMessageId && !s.editorOpened,
            ),
          ));
    if (!state) return [];
    state.editorOpened = true;
    return [{ type: "iframe", taskId: state.job.taskId, interactionId: id, customId }];
  }

  /** The click's interaction ends at the pop-up; the job's messages will follow the submit's. */
  private clickOpenedPopUp(state: JobState, popUpId: string): void {
    state.staleInteractions.add(popUpId);
    if (state.job.interactionId) {
      state.staleInteractions.add(state.job.interactionId);
      delete state.job.interactionId;
    }
  }

  // ---- messages (§4.1-§4.3) ----

  private onRawMessage(d: unknown, now: number, source: Source): CorrelationEffect[] {
    const message = this.accept(d, source);
    return message ? this.onMessage(message, now, source) : [];
  }

  /** Parses and filters: our channel, the Midjourney bot, our user (§4.3 last paragraph). */
  private accept(raw: unknown, source: Source): DiscordMessage | null {
    const message = parseMessage(raw);
    if (!message || message.channel_id !== this.channelId) return null;
    if (message.author) {
      if (message.author.id !== MIDJOURNEY_APPLICATION_ID && message.author.id !== NIJI_APPLICATION_ID)
        return null;
    } else if (source !== "update" || !this.find((s) => s.job.progressMessageId === message.id)) {
      // Only partial updates of a progress message we know may lack the author.
      return null;
    }
    const user = messageUserId(message);
    if (this.userId && user && user !== this.userId) return null;
    return message;
  }

  private onMessage(message: DiscordMessage, now: number, source: Source): CorrelationEffect[] {
    if (source !== "update" && this.handled.has(message.id)) return [];
    const parsed = parseContent(message.content);

    const answer = this.onCommandMessage(message, parsed, source);
    if (answer) return answer;

    const notice = this.onNotice(message, parsed, source);
    if (notice) return notice;

    const progressOwner = this.find((s) => s.job.progressMessageId === message.id);
    if (progressOwner) {
      // Defensive: a progress message edited into a result is that job's result.
      if (isFinal(message, parsed)) return this.succeed(progressOwner, message, parsed);
      return this.onProgress(progressOwner, message, parsed);
    }
    // A result is always a new message (§4.1 step 5); edits of old grids (button styles) are not.
    if (isFinal(message, parsed))
      return source === "update" ? [] : this.onFinal(message, parsed, now, source);
    if (!isRunning(parsed)) {
      const clicked = source === "update" ? undefined : this.unknownButtonOwner(message);
      return clicked ? this.succeed(clicked, message, parsed) : [];
    }
    const owner = this.matchProgressMessage(message, parsed);
    if (!owner) return [];
    owner.job.progressMessageId = message.id;
    if (parsed.prompt !== null) owner.echoed = parsed.prompt;
    const started: CorrelationEffect = {
      type: "started",
      taskId: owner.job.taskId,
      progressMessageId: message.id,
      ...(owner.job.interactionId ? { interactionId: owner.job.interactionId } : {}),
    };
    return [started, ...this.onProgress(owner, message, parsed)];
  }

  private onProgress(state: JobState, message: DiscordMessage, parsed: ParsedContent): CorrelationEffect[] {
    // A job killed or moderated mid-way shows "(Stopped)" (§4.2).
    if (parsed.stage === "stopped") return this.fail(state, "stopped");
    if (parsed.stage !== "progress" || parsed.progress === null) return [];
    if (parsed.progress <= state.progress) return [];
    state.progress = parsed.progress;
    const previewUrl = message.attachments[0]?.url;
    return [
      {
        type: "progress",
        taskId: state.job.taskId,
        progress: parsed.progress,
        progressMessageId: message.id,
        ...(previewUrl ? { previewUrl } : {}),
      },
    ];
  }

  /** The "Waiting to start" / progress message of a job whose id we do not know yet (§4.3 items 1-3). */
  private matchProgressMessage(message: DiscordMessage, parsed: ParsedContent): JobState | undefined {
    const open = [...this.jobs.values()].filter((s) => !s.job.progressMessageId);
    const strong = this.strongMatch(message, open);
    if (strong && !this.misclaimed(strong, message, parsed)) {
      // A message carrying our nonce names our user: from now on other users' messages are ignored.
      if (message.nonce === strong.job.nonce) this.userId ??= messageUserId(message) ?? undefined;
      return strong;
    }
    const ref = message.message_reference?.message_id;
    if (ref) {
      // Button jobs: an ephemeral reply to the clicked message, "Upscaling image #i with …" (gw-10).
      return this.oldest(
        open.filter((s) => s.job.parentMessageId === ref && kindFits(s.job, s.family, parsed, true)),
      );
    }
    const interactionId = message.interaction?.id ?? message.interaction_metadata?.id;
    const name = interactionName(message);
    if (name === "blend") {
      // A blend's echo is its uploads' s.mj.run links, never what we sent: the command's name tells (§4.5).
      const byName = this.oldest(
        open.filter(
          (s) =>
            s.family === "blend" &&
            (!s.job.interactionId || !interactionId || s.job.interactionId === interactionId),
        ),
      );
      if (byName && interactionId) byName.job.interactionId ??= interactionId;
      return byName;
    }
    const byPrompt = this.oldest(
      open.filter(
        (s) =>
          matchedByPrompt(s.family) &&
          s.family !== "blend" &&
          (name === undefined || name === "imagine" || s.family !== "imagine") &&
          parsed.prompt !== null &&
          promptMatches(s.job.prompt, parsed.prompt) &&
          // A job that knows its interaction only takes the message of that interaction.
          (!s.job.interactionId || !interactionId || s.job.interactionId === interactionId),
      ),
    );
    if (byPrompt && interactionId && !byPrompt.job.interactionId) byPrompt.job.interactionId = interactionId;
    return byPrompt;
  }

  /**
   * A nonce-less INTERACTION_CREATE claimed in FIFO order went to the wrong job when that job's
   * own interaction was lost: its message then shows another prompt. Undo the claim.
   */
  private misclaimed(state: JobState, message: DiscordMessage, parsed: ParsedContent): boolean {
    if (message.nonce === state.job.nonce || state.family !== "imagine" || parsed.prompt === null)
      return false;
    if (promptMatches(state.job.prompt, parsed.prompt)) return false;
    delete state.job.interactionId;
    return true;
  }

  private onFinal(
    message: DiscordMessage,
    parsed: ParsedContent,
    now: number,
    source: Source,
  ): CorrelationEffect[] {
    const candidates = this.finalCandidates(message, parsed, source);
    if (candidates.length === 0) return [];
    if (candidates.length === 1) return this.succeed(candidates[0]!, message, parsed);
    // Same prompt twice at once: wait for MJ to delete one candidate's progress message (gw-08).
    this.remember(message.id);
    this.pending.push({ message, parsed, candidates: candidates.map((s) => s.job.taskId), receivedAt: now });
    return [];
  }

  /** Jobs that may own a final message, oldest first (§4.3 item 4). */
  private finalCandidates(message: DiscordMessage, parsed: ParsedContent, source: Source): JobState[] {
    const all = [...this.jobs.values()];
    const strong = this.strongMatch(message, all);
    if (strong) return [strong];
    const ref = message.message_reference?.message_id;
    let candidates: JobState[] = [];
    if (ref)
      candidates = all.filter(
        (s) => s.job.parentMessageId === ref && kindFits(s.job, s.family, parsed, false),
      );
    if (candidates.length === 0 && parsed.kind === "reroll-or-imagine" && parsed.prompt !== null) {
      const echoed = parsed.prompt;
      const byPrompt = all.filter(
        (s) =>
          matchedByPrompt(s.family) &&
          (promptMatches(s.job.prompt, echoed) || (s.echoed !== undefined && sameEcho(s.echoed, echoed))),
      );
      // Prefer jobs Discord has acknowledged; the rest only when events were missed.
      const started = byPrompt.filter((s) => s.job.interactionId || s.job.progressMessageId);
      candidates = started.length > 0 ? started : byPrompt;
    }
    if (source === "rest") {
      // History may hold an older result of the same prompt: it cannot belong to a later job.
      const postedAt = snowflakeTime(message.id);
      if (postedAt !== null && postedAt >= PLAUSIBLE_SNOWFLAKE_TIME) {
        candidates = candidates.filter((s) => postedAt >= s.job.sentAt - this.clockSkewMs);
      }
    }
    // A job whose final is already waiting for disambiguation still competes for this one.
    return candidates.sort((a, b) => a.job.sentAt - b.job.sentAt);
  }

  /** Nonce, then interaction id (§4.3 items 1-2). */
  private strongMatch(message: DiscordMessage, among: JobState[]): JobState | undefined {
    if (message.nonce) {
      const byNonce = among.find((s) => s.job.nonce === message.nonce);
      if (byNonce) return byNonce;
    }
    const interactionId = message.interaction?.id ?? message.interaction_metadata?.id;
    if (interactionId) return among.find((s) => s.job.interactionId === interactionId);
    return undefined;
  }

  private onDelete(d: unknown): CorrelationEffect[] {
    const event = asRecord(d);
    const id = stringOf(event?.["id"]);
    if (!id || stringOf(event?.["channel_id"]) !== this.channelId) return [];
    // MJ deletes the progress message right after posting its final (gw-08): that settles a tie.
    for (const pending of this.pending) {
      for (const taskId of pending.candidates) {
        const state = this.jobs.get(taskId);
        if (state?.job.progressMessageId === id) return this.succeed(state, pending.message, pending.parsed);
      }
    }
    return [];
  }

  // ---- /describe and /shorten (§4.5) and buttons we do not know ----

  /**
   * A /describe or /shorten job's message: the command's message (nonce, interaction, or its
   * interaction name) starts it; that message updated with the embed's text, or a new message
   * of the same interaction, ends it. Null when the message is not such a job's.
   */
  private onCommandMessage(
    message: DiscordMessage,
    parsed: ParsedContent,
    source: Source,
  ): CorrelationEffect[] | null {
    const jobs = [...this.jobs.values()].filter((s) => answersWithText(s.family));
    if (jobs.length === 0) return null;
    const interactionId = message.interaction?.id ?? message.interaction_metadata?.id;
    const name = interactionName(message);
    const ref = message.message_reference?.message_id;
    const owner =
      jobs.find((s) => s.job.progressMessageId === message.id) ??
      this.strongMatch(message, jobs) ??
      // 🔄 on a describe answer: the new answer replies to the clicked one.
      (ref
        ? this.oldest(jobs.filter((s) => s.job.parentMessageId === ref && !s.job.progressMessageId))
        : undefined) ??
      (name
        ? this.oldest(
            jobs.filter(
              (s) =>
                commandNameOf(s.family) === name &&
                !s.job.progressMessageId &&
                (!s.job.interactionId || !interactionId || s.job.interactionId === interactionId),
            ),
          )
        : undefined);
    if (!owner) return null;
    const answer = message.embeds.find((embed) => isTextAnswer(embed));
    if (answer) return this.succeed(owner, message, parsed, answer);
    if (owner.job.progressMessageId || source === "update") return null;
    const isNotice =
      parsed.stage === "failed" || message.embeds.some((embed) => classifyEmbed(embed) !== null);
    if (isNotice) return null;
    owner.job.progressMessageId = message.id;
    if (interactionId && !owner.job.interactionId) owner.job.interactionId = interactionId;
    return [
      {
        type: "started",
        taskId: owner.job.taskId,
        progressMessageId: message.id,
        ...(owner.job.interactionId ? { interactionId: owner.job.interactionId } : {}),
      },
    ];
  }

  /** A job of a button we do not know: any new message answering its click ends it (nonce, interaction, reply). */
  private unknownButtonOwner(message: DiscordMessage): JobState | undefined {
    const jobs = [...this.jobs.values()].filter((s) => s.family === "unknown");
    if (jobs.length === 0) return undefined;
    const ref = message.message_reference?.message_id;
    return (
      this.strongMatch(message, jobs) ??
      (ref ? this.oldest(jobs.filter((s) => s.job.parentMessageId === ref)) : undefined)
    );
  }

  // ---- errors and notices (§4.6, §4.2 "MJ failure text") ----

  private onNotice(
    message: DiscordMessage,
    parsed: ParsedContent,
    source: Source,
  ): CorrelationEffect[] | null {
    let verdict: ReturnType<typeof classifyEmbed> = null;
    for (const embed of message.embeds) {
      verdict = classifyEmbed(embed);
      if (verdict) break;
    }
    const failedText = parsed.stage === "failed" && parsed.prompt === null;
    if (!verdict && !failedText) return null;
    if (source !== "update") this.remember(message.id);
    const owner = this.noticeOwner(message);
    if (!verdict) return owner ? this.fail(owner, message.content.trim().slice(0, 500)) : [];
    switch (verdict.severity) {
      case "terminal":
        return owner ? this.fail(owner, verdict.reason, verdict.kind) : [];
      case "retryable":
        if (!owner) return [];
        this.finish(owner.job.taskId);
        return [{ type: "retry", taskId: owner.job.taskId, reason: verdict.reason }];
      case "informational":
        return owner ? [{ type: "queued", taskId: owner.job.taskId }] : [];
      case "account": {
        if (owner) {
          this.finish(owner.job.taskId);
          return [{ type: "account", taskId: owner.job.taskId, reason: verdict.reason, kind: verdict.kind }];
        }
        // Without a task, only a notice that is surely ours may take the account out of rotation.
        const ours =
          ((message.flags ?? 0) & EPHEMERAL) !== 0 ||
          (!!this.userId && messageUserId(message) === this.userId);
        return ours ? [{ type: "account", reason: verdict.reason, kind: verdict.kind }] : [];
      }
    }
  }

  /** Nonce, interaction, the progress message or reference, then the footer's "/imagine <prompt>" (§4.6). */
  private noticeOwner(message: DiscordMessage): JobState | undefined {
    const all = [...this.jobs.values()];
    const strong = this.strongMatch(message, all);
    if (strong) return strong;
    const byProgress = all.find((s) => s.job.progressMessageId === message.id);
    if (byProgress) return byProgress;
    const ref = message.message_reference?.message_id;
    if (ref) {
      const owner =
        all.find((s) => s.job.progressMessageId === ref) ??
        this.oldest(all.filter((s) => s.job.parentMessageId === ref));
      if (owner) return owner;
    }
    for (const embed of message.embeds) {
      const footer = /^\/(imagine|blend|describe|shorten)\b\s*([\s\S]*)$/.exec(
        embed.footer?.text?.trim() ?? "",
      );
      if (!footer) continue;
      const [, name, prompt = ""] = footer;
      // /describe and /blend footers name no prompt of ours: the oldest such job.
      const byText = name === "imagine" || name === "shorten";
      const matching = all.filter(
        (s) => commandNameOf(s.family) === name && (!byText || promptMatches(s.job.prompt, prompt)),
      );
      // Rejected prompts never start: prefer the oldest job without a progress message.
      return this.oldest(matching.filter((s) => !s.job.progressMessageId)) ?? this.oldest(matching);
    }
    return undefined;
  }

  // ---- endings ----

  private succeed(
    state: JobState,
    message: DiscordMessage,
    parsed: ParsedContent,
    answer?: DiscordEmbed,
  ): CorrelationEffect[] {
    const result: SuccessResult = {
      messageId: message.id,
      messageFlags: message.flags ?? 0,
      // A /describe answer shows the described picture in its embed (§4.5).
      imageUrl: answer ? (answer.image?.url ?? "") : (message.attachments[0]?.url ?? ""),
      jobHash: answer ? null : jobHashOf(message),
      content: message.content,
      prompt: answer ? null : parsed.prompt,
      components: message.components,
      buttons: buttonsOf(message.components),
      text: answer?.description ?? null,
    };
    this.remember(message.id);
    const pending = this.pending.find((p) => p.message.id === message.id);
    if (pending) this.dropPending(pending);
    const effects: CorrelationEffect[] = [{ type: "success", taskId: state.job.taskId, result }];
    return effects.concat(this.finish(state.job.taskId));
  }

  private fail(state: JobState, reason: string, kind?: EmbedKind): CorrelationEffect[] {
    const effects: CorrelationEffect[] = [
      { type: "failure", taskId: state.job.taskId, reason, ...(kind ? { kind } : {}) },
    ];
    return effects.concat(this.finish(state.job.taskId));
  }

  /**
   * Untracks an ended job and removes it from ambiguous finals; a final left with a single
   * candidate belongs to that one. Returns the effects of such cascades.
   */
  private finish(taskId: string): CorrelationEffect[] {
    this.jobs.delete(taskId);
    const effects: CorrelationEffect[] = [];
    for (const pending of [...this.pending]) {
      if (!this.pending.includes(pending)) continue;
      pending.candidates = pending.candidates.filter((id) => id !== taskId && this.jobs.has(id));
      if (pending.candidates.length === 0) this.dropPending(pending);
      else if (pending.candidates.length === 1) {
        const last = this.jobs.get(pending.candidates[0]!)!;
        effects.push(...this.succeed(last, pending.message, pending.parsed));
      }
    }
    return effects;
  }

  private dropPending(pending: PendingFinal): void {
    const at = this.pending.indexOf(pending);
    if (at >= 0) this.pending.splice(at, 1);
  }

  /** Bounded memory of handled message ids (oldest forgotten first). */
  private remember(messageId: string): void {
    this.handled.delete(messageId);
    this.handled.add(messageId);
    while (this.handled.size > this.handledMemory) {
      const oldest = this.handled.values().next().value;
      if (oldest === undefined) break;
      this.handled.delete(oldest);
    }
  }

  private find(predicate: (state: JobState) => boolean): JobState | undefined {
    for (const state of this.jobs.values()) if (predicate(state)) return state;
    return undefined;
  }

  private oldest(states: Array<JobState | undefined>): JobState | undefined {
    let best: JobState | undefined;
    for (const state of states) {
      if (state && (!best || state.job.sentAt < best.job.sentAt)) best = state;
    }
    return best;
  }
}

function isFinal(message: DiscordMessage, parsed: ParsedContent): boolean {
  return parsed.stage === "done" && message.attachments.length > 0;
}

function isRunning(parsed: ParsedContent): boolean {
  return (
    parsed.stage === "waiting" ||
    parsed.stage === "progress" ||
    parsed.stage === "paused" ||
    parsed.stage === "stopped"
  );
}

function compareSnowflakes(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
}

function stringOf(value: unknown): string | undefined {
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  return undefined;
}

/** The slash command a message answers (`interaction_metadata.name`, else `interaction.name`). */
function interactionName(message: DiscordMessage): string | undefined {
  return message.interaction_metadata?.name ?? message.interaction?.name;
}

const KEYCAP = /[0-9]\uFE0F?\u20E3/;
const SHORTEN_FOOTER = /click on a button to imagine/i;

/**
 * A /describe or /shorten answer: an embed with text that is not an error notice: its keycap
 * prompts (1️⃣ …), the described picture, or /shorten's footer (§4.5).
 */
function isTextAnswer(embed: DiscordEmbed): boolean {
  const description = embed.description?.trim() ?? "";
  if (description === "") return false;
  if (SHORTEN_FOOTER.test(embed.footer?.text ?? "")) return true;
  if (classifyEmbed(embed) !== null && (embed.title ?? "").trim() !== "") return false;
  return KEYCAP.test(description) || !!embed.image?.url || classifyEmbed(embed) === null;
}

/** Two echoes of one job: the same text once spacing and case are ignored (links kept, unlike normalizePrompt). */
function sameEcho(a: string, b: string): boolean {
  const canonical = (text: string) => text.replace(/\s+/g, " ").trim().toLowerCase();
  return canonical(a) === canonical(b) && normalizePrompt(a) !== "";
}

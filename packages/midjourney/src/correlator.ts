import { MIDJOURNEY_APPLICATION_ID } from "./commands.js";
import { type ParsedContent, parseContent, promptMatches } from "./content.js";
import { classifyEmbed } from "./embeds.js";
import type { CorrelationEffect, SuccessResult, TrackedJob } from "./jobs.js";
import { type DiscordMessage, jobHashOf, messageUserId, parseMessage } from "./message.js";
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
  /** Highest progress reported; progress never goes backwards. */
  progress: number;
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

  track(job: TrackedJob): void {
    this.jobs.set(job.taskId, { job: { ...job }, progress: -1 });
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
    if (nonce) {
      state = this.find((s) => s.job.nonce === nonce);
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

  private onIframeModal(d: unknown): CorrelationEffect[] {
    const event = asRecord(d);
    const path = stringOf(event?.["iframe_path"]) ?? "";
    // MJ's Cloudflare check arrives as an iframe modal on /captcha/embedded/… (§3.7).
    if (!path.includes("captcha")) return [];
    const nonce = stringOf(event?.["nonce"]);
    const state = nonce ? this.find((s) => s.job.nonce === nonce) : undefined;
    const reason = "[Action required to continue] captcha";
    if (!state) return [{ type: "account", reason }];
    this.jobs.delete(state.job.taskId);
    return [{ type: "account", taskId: state.job.taskId, reason }];
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
      if (message.author.id !== MIDJOURNEY_APPLICATION_ID) return null;
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
    if (!isRunning(parsed)) return [];
    const owner = this.matchProgressMessage(message, parsed);
    if (!owner) return [];
    owner.job.progressMessageId = message.id;
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
      return this.oldest(open.filter((s) => s.job.parentMessageId === ref && kindFits(s.job, parsed, true)));
    }
    const interactionId = message.interaction?.id ?? message.interaction_metadata?.id;
    const byPrompt = this.oldest(
      open.filter(
        (s) =>
          (s.job.action === "IMAGINE" || s.job.action === "REROLL") &&
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
    if (message.nonce === state.job.nonce || state.job.action !== "IMAGINE" || parsed.prompt === null)
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
    if (ref) candidates = all.filter((s) => s.job.parentMessageId === ref && kindFits(s.job, parsed, false));
    if (candidates.length === 0 && parsed.kind === "reroll-or-imagine" && parsed.prompt !== null) {
      const echoed = parsed.prompt;
      const byPrompt = all.filter(
        (s) =>
          (s.job.action === "IMAGINE" || s.job.action === "REROLL") && promptMatches(s.job.prompt, echoed),
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
        return owner ? this.fail(owner, verdict.reason) : [];
      case "retryable":
        if (!owner) return [];
        this.finish(owner.job.taskId);
        return [{ type: "retry", taskId: owner.job.taskId, reason: verdict.reason }];
      case "informational":
        return owner ? [{ type: "queued", taskId: owner.job.taskId }] : [];
      case "account": {
        if (owner) {
          this.finish(owner.job.taskId);
          return [{ type: "account", taskId: owner.job.taskId, reason: verdict.reason }];
        }
        // Without a task, only a notice that is surely ours may take the account out of rotation.
        const ours =
          ((message.flags ?? 0) & EPHEMERAL) !== 0 ||
          (!!this.userId && messageUserId(message) === this.userId);
        return ours ? [{ type: "account", reason: verdict.reason }] : [];
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
      const footer = embed.footer?.text?.trim() ?? "";
      if (!footer.startsWith("/imagine ")) continue;
      const prompt = footer.slice("/imagine ".length);
      const matching = all.filter((s) => s.job.action === "IMAGINE" && promptMatches(s.job.prompt, prompt));
      // Rejected prompts never start: prefer the oldest job without a progress message.
      return this.oldest(matching.filter((s) => !s.job.progressMessageId)) ?? this.oldest(matching);
    }
    return undefined;
  }

  // ---- endings ----

  private succeed(state: JobState, message: DiscordMessage, parsed: ParsedContent): CorrelationEffect[] {
    const result: SuccessResult = {
      messageId: message.id,
      messageFlags: message.flags ?? 0,
      imageUrl: message.attachments[0]?.url ?? "",
      jobHash: jobHashOf(message),
      content: message.content,
      prompt: parsed.prompt,
      components: message.components,
    };
    this.remember(message.id);
    const pending = this.pending.find((p) => p.message.id === message.id);
    if (pending) this.dropPending(pending);
    const effects: CorrelationEffect[] = [{ type: "success", taskId: state.job.taskId, result }];
    return effects.concat(this.finish(state.job.taskId));
  }

  private fail(state: JobState, reason: string): CorrelationEffect[] {
    const effects: CorrelationEffect[] = [{ type: "failure", taskId: state.job.taskId, reason }];
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

/**
 * Whether a reply to a job's parent message reads like that job's message: "Upscaling image #i" /
 * "Image #i" for U, "Making variations for image #i" / "Variations … by" for V, plain for reroll (§4.2).
 */
function kindFits(job: TrackedJob, parsed: ParsedContent, waiting: boolean): boolean {
  switch (job.action) {
    case "UPSCALE":
      return parsed.kind === "upscale" && (parsed.imageIndex === null || parsed.imageIndex === job.index);
    case "VARIATION":
      if (parsed.kind === "variation" && parsed.imageIndex !== null) return parsed.imageIndex === job.index;
      // Results name no quadrant; with Remix mode on, a variation reads "Remix … by".
      return !waiting && (parsed.kind === "variation" || parsed.kind === "remix");
    case "REROLL":
      return parsed.kind === "reroll-or-imagine";
    default:
      return false;
  }
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

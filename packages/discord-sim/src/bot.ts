import {
  doneContent,
  parseCustomId,
  progressContent,
  promptOf,
  stoppedContent,
  upscaleDoneContent,
  upscaleWaitingContent,
  variationWaitingContent,
  waitingContent,
} from "./content.js";
import type { Gateway } from "./gateway.js";
import { type ImageSpec, layoutOf } from "./images.js";
import {
  type ActionRow,
  type Attachment,
  buildMessage,
  COLOR_ERROR,
  cancelJobButtons,
  embed,
  gridButtons,
  type Message,
  type MessageContext,
  type MessageInit,
  upscaleButtons,
} from "./messages.js";
import { checkPrompt, promptSlug } from "./prompt.js";
import { type Rng, randomHex, uuidV4 } from "./rng.js";
import type { SnowflakeSource } from "./snowflake.js";
import type { MessageStore } from "./store.js";
import type { FailureKind, InteractionRecord, SimAccount } from "./types.js";

/** The Midjourney bot: per-account job slots and wait list, and the message flows of discord-protocol.md §4. */

export interface BotSettings {
  stepDelayMs: number;
  progressSteps: number[];
  finalWithNonce: boolean;
  bannedWords: string[];
  failureRate: number;
}

export interface AccountState {
  account: SimAccount;
  ctx: MessageContext;
  running: number;
  queue: Job[];
  maxRunning: number;
  completed: number;
  failNext: FailureKind[];
  interactions: InteractionRecord[];
  interactionCount: number;
  nonces: Set<string>;
  duplicateNonces: number;
}

type JobKind = "imagine" | "grid-from-button" | "upscale";

interface Job {
  state: AccountState;
  kind: JobKind;
  hash: string;
  prompt: string;
  nonce?: string;
  /** "Variations (Strong)", "Zoom Out", "Pan Left", "Upscaled (Subtle)"… ; none for imagine/reroll. */
  label?: string;
  index: number;
  /** The clicked message (button jobs). */
  source?: Message;
  sourceHash?: string;
  waiting: Message;
  failure?: "never-finish" | "stop-midway";
}

const INTERACTION_LOG_LIMIT = 10_000;
const TRACE_WORDS = [
  "aspirate",
  "giveaway",
  "smuggler",
  "lantern",
  "quartz",
  "meadow",
  "harbor",
  "velvet",
  "cobalt",
];

export class MidjourneyBot {
  private closed = false;

  constructor(
    private readonly deps: {
      store: MessageStore;
      gateway: Gateway;
      ids: SnowflakeSource;
      rng: Rng;
      origin: () => string;
      settings: BotSettings;
    },
  ) {}

  close(): void {
    this.closed = true;
  }

  /** Log the interaction for stats(); counts nonces seen before for this account. */
  record(state: AccountState, rec: InteractionRecord): void {
    state.interactionCount++;
    state.interactions.push(rec);
    if (state.interactions.length > INTERACTION_LOG_LIMIT) state.interactions.shift();
    if (rec.nonce !== null) {
      if (state.nonces.has(rec.nonce)) state.duplicateNonces++;
      else state.nonces.add(rec.nonce);
    }
  }

  private later(fn: () => void): void {
    const run = () => {
      if (!this.closed) fn();
    };
    const delay = this.deps.settings.stepDelayMs;
    if (delay > 0) setTimeout(run, delay);
    else setImmediate(run);
  }

  private dispatch(state: AccountState, t: string, d: unknown): void {
    this.deps.gateway.dispatch(state.account, t, d);
  }

  private send(state: AccountState, t: "MESSAGE_CREATE" | "MESSAGE_UPDATE", msg: Message): void {
    this.deps.store.put(msg);
    this.dispatch(state, t, msg);
  }

  private deleteMessage(state: AccountState, msg: Message): void {
    this.deps.store.delete(msg.channel_id, msg.id);
    const d: Record<string, string> = { id: msg.id, channel_id: msg.channel_id };
    if (msg.guild_id) d.guild_id = msg.guild_id;
    this.dispatch(state, "MESSAGE_DELETE", d);
  }

  private message(state: AccountState, init: Omit<MessageInit, "id">): Message {
    return buildMessage(state.ctx, { ...init, id: this.deps.ids() });
  }

  private attachment(state: AccountState, spec: ImageSpec, filename: string): Attachment {
    const id = this.deps.ids();
    const layout = layoutOf(spec.kind);
    const nowSec = Math.floor(Date.now() / 1000);
    // Discord CDN links carry signed ex/is/hm parameters since 2023-12; clients must strip them (§4.3).
    const query = `?ex=${(nowSec + 86_400).toString(16)}&is=${nowSec.toString(16)}&hm=${randomHex(this.deps.rng, 64)}&`;
    const path = `/attachments/${state.ctx.channelId}/${id}/${filename}`;
    this.deps.store.images.set(id, spec);
    return {
      id,
      filename,
      size: layout.size,
      url: `${this.deps.origin()}${path}${query}`,
      proxy_url: `${this.deps.origin()}/media${path}${query}`,
      width: layout.width,
      height: layout.height,
      // The bodies are PNG, so that is what we declare, even for the preview Discord names grid_0.webp.
      content_type: "image/png",
    };
  }

  /** INTERACTION_CREATE then INTERACTION_SUCCESS, `nonce` only when the request had one (§3.7, gw-01/02). */
  private acknowledge(state: AccountState, interactionId: string, nonce: string | undefined): void {
    const d = nonce === undefined ? { id: interactionId } : { id: interactionId, nonce };
    this.dispatch(state, "INTERACTION_CREATE", d);
    this.dispatch(state, "INTERACTION_SUCCESS", d);
  }

  private takeFailure(state: AccountState): FailureKind | undefined {
    const forced = state.failNext.shift();
    if (forced) return forced;
    const rate = this.deps.settings.failureRate;
    if (rate > 0 && this.deps.rng() < rate) return this.deps.rng() < 0.5 ? "error" : "stop-midway";
    return undefined;
  }

  /** An ephemeral reply to the interaction carrying its nonce (§4.6). */
  private replyEphemeral(
    state: AccountState,
    req: { interactionId: string; nonce?: string; commandName?: string },
    body: { content?: string; embeds?: MessageInit["embeds"]; components?: ActionRow[] },
  ): void {
    const msg = this.message(state, {
      type: req.commandName ? 20 : 19,
      content: body.content ?? "",
      ephemeral: true,
      webhook: true,
      interactionId: req.interactionId,
      commandName: req.commandName,
      nonce: req.nonce,
      embeds: body.embeds,
      components: body.components,
    });
    this.send(state, "MESSAGE_CREATE", msg);
  }

  /** Failures answered at once, before any job exists; returns true when one was sent. */
  private rejectUpFront(
    state: AccountState,
    req: { interactionId: string; nonce?: string; commandName?: string },
    prompt: string,
    failure: FailureKind | undefined,
  ): boolean {
    const problem =
      req.commandName === "imagine" ? checkPrompt(prompt, this.deps.settings.bannedWords) : null;
    const kind = failure ?? (problem ? problem.kind : undefined);
    const reply = (title: string, description: string, components?: ActionRow[]) =>
      this.later(() =>
        this.replyEphemeral(state, req, {
          embeds: [embed(title, description, COLOR_ERROR, prompt)],
          components,
        }),
      );
    switch (kind) {
      case "banned": {
        const word = problem?.kind === "banned" ? ` (\`${problem.word}\`)` : "";
        reply(
          "Banned prompt detected",
          `Sorry! Our AI moderator thinks this prompt is probably against our community standards${word}.\n\nPlease review our current community standards and try again.`,
        );
        return true;
      }
      case "invalid-parameter":
        reply(
          "Invalid parameter",
          problem?.kind === "invalid-parameter" ? problem.description : "Invalid value for a parameter",
        );
        return true;
      case "empty":
        reply("Empty prompt", "Please provide a prompt.");
        return true;
      case "action-needed":
        reply(
          "Action needed to continue",
          "Your prompt was flagged by our AI moderator. If you think this is a mistake, you can appeal.",
          [
            {
              type: 1,
              components: [
                {
                  type: 2,
                  style: 1,
                  label: "Appeal",
                  custom_id: `MJ::Prompts::Appeal::${uuidV4(this.deps.rng)}`,
                },
              ],
            },
          ],
        );
        return true;
      case "pending-mod":
        reply(
          "Pending mod message",
          "You have a pending moderation message. Please read and acknowledge it before you create more jobs.",
        );
        return true;
      case "queue-full":
        this.queueFull(state, req, prompt);
        return true;
      case "error": {
        const trace = [0, 1, 2].map(() => TRACE_WORDS[(this.deps.rng() * TRACE_WORDS.length) | 0]).join("-");
        this.later(() =>
          this.replyEphemeral(state, req, {
            content: `There was an error processing your request. Please try again later. Your trace: \`${trace}\``,
          }),
        );
        return true;
      }
      default:
        return false;
    }
  }

  private queueFull(
    state: AccountState,
    req: { interactionId: string; nonce?: string; commandName?: string },
    prompt: string,
  ) {
    // Text of the captured "Queue full" embed (discord-protocol.md §4.6).
    const e = embed(
      "Queue full",
      "Your job queue is full. Please wait for a job to finish first, then resubmit this one.",
      COLOR_ERROR,
      prompt,
    );
    this.later(() => this.replyEphemeral(state, req, { embeds: [e] }));
  }

  /** Whether a new job can run now, wait, or must be refused. */
  private admit(state: AccountState): "run" | "wait" | "full" {
    if (state.running < state.account.concurrency) return "run";
    if (state.queue.length < state.account.queueSize) return "wait";
    return "full";
  }

  private jobQueued(
    state: AccountState,
    req: { interactionId: string; nonce?: string; commandName?: string },
    prompt: string,
  ) {
    const e = embed(
      "Job queued",
      "You have reached the maximum allowed number of concurrent jobs. Your job will start as soon as a slot frees up.",
      16239475,
      prompt,
    );
    this.replyEphemeral(state, req, { embeds: [e] });
  }

  /** /imagine accepted with 204 (§4.1). */
  imagine(state: AccountState, req: { interactionId: string; nonce?: string; prompt: string }): void {
    const r = { ...req, commandName: "imagine" };
    this.acknowledge(state, req.interactionId, req.nonce);
    const failure = this.takeFailure(state);
    if (this.rejectUpFront(state, r, req.prompt, failure)) return;
    const admission = this.admit(state);
    if (admission === "full") {
      this.queueFull(state, r, req.prompt);
      return;
    }
    this.later(() => {
      if (admission === "wait") this.jobQueued(state, r, req.prompt);
      const waiting = this.message(state, {
        type: 20,
        content: waitingContent(req.prompt, state.account.userId),
        webhook: true,
        interactionId: req.interactionId,
        commandName: "imagine",
        nonce: req.nonce,
      });
      this.send(state, "MESSAGE_CREATE", waiting);
      const job: Job = {
        state,
        kind: "imagine",
        hash: uuidV4(this.deps.rng),
        prompt: req.prompt,
        nonce: req.nonce,
        index: 0,
        waiting,
        failure: failure === "never-finish" || failure === "stop-midway" ? failure : undefined,
      };
      this.enqueue(job, admission);
    });
    if (admission === "run")
      state.running++; // reserve the slot now so concurrent submits see it
    else state.queue.push(PLACEHOLDER);
  }

  /** A button click accepted with 204 (§1.3, §2). */
  click(
    state: AccountState,
    req: { interactionId: string; nonce?: string; customId: string; message: Message },
  ): void {
    this.acknowledge(state, req.interactionId, req.nonce);
    const action = parseCustomId(req.customId);
    const prompt = promptOf(req.message.content) ?? "";
    if (action.action === "other") return; // bookmarks, cancel, appeal, modals: acknowledged only
    const failure = this.takeFailure(state);
    if (this.rejectUpFront(state, { ...req }, prompt, failure)) return;
    const admission = this.admit(state);
    if (admission === "full") {
      this.queueFull(state, req, prompt);
      return;
    }
    const uid = state.account.userId;
    const hash = uuidV4(this.deps.rng);
    let kind: JobKind = "grid-from-button";
    let label: string | undefined;
    let index = 1;
    let waitingText = waitingContent(prompt, uid);
    switch (action.action) {
      case "upscale":
        kind = "upscale";
        index = action.index;
        waitingText = upscaleWaitingContent(prompt, uid, index);
        break;
      case "upscale-more":
        kind = "upscale";
        label = action.label;
        break;
      case "variation":
        label = action.label;
        index = action.index;
        if (req.customId.startsWith("MJ::JOB::variation::"))
          waitingText = variationWaitingContent(prompt, uid, index);
        break;
      case "zoom":
        label = "Zoom Out";
        break;
      case "pan":
        label = action.label;
        break;
    }
    const sourceHash = "hash" in action ? action.hash : undefined;
    this.later(() => {
      if (admission === "wait") this.jobQueued(state, req, prompt);
      // Button jobs start with an ephemeral type-19 reply with a Cancel Job button (gw-10, gw-11).
      const waiting = this.message(state, {
        type: 19,
        content: waitingText,
        ephemeral: true,
        webhook: true,
        nonce: req.nonce,
        components: cancelJobButtons(hash),
        reference: req.message,
      });
      this.send(state, "MESSAGE_CREATE", waiting);
      const job: Job = {
        state,
        kind,
        hash,
        prompt,
        nonce: req.nonce,
        label,
        index,
        source: req.message,
        sourceHash,
        waiting,
        failure: failure === "never-finish" || failure === "stop-midway" ? failure : undefined,
      };
      this.enqueue(job, admission);
    });
    if (admission === "run") state.running++;
    else state.queue.push(PLACEHOLDER);
  }

  /** Replace the slot/queue reservation made at submit time with the real job. */
  private enqueue(job: Job, admission: "run" | "wait"): void {
    const state = job.state;
    if (admission === "run") {
      state.maxRunning = Math.max(state.maxRunning, state.running);
      this.later(() => this.progress(job, 0));
      return;
    }
    const slot = state.queue.indexOf(PLACEHOLDER);
    if (slot >= 0) state.queue[slot] = job;
    else state.queue.push(job);
    this.pump(state);
  }

  /** Start waiting jobs while slots are free. */
  private pump(state: AccountState): void {
    while (
      state.running < state.account.concurrency &&
      state.queue.length > 0 &&
      state.queue[0] !== PLACEHOLDER
    ) {
      const job = state.queue.shift()!;
      state.running++;
      state.maxRunning = Math.max(state.maxRunning, state.running);
      this.later(() => this.progress(job, 0));
    }
  }

  private release(state: AccountState): void {
    state.running--;
    this.pump(state);
  }

  /** MESSAGE_UPDATE of the waiting message with "(N%) (fast)" and a preview (§4.1 step 4). */
  private progress(job: Job, step: number): void {
    const steps = this.deps.settings.progressSteps;
    const uid = job.state.account.userId;
    // Upscales finish without progress updates (§4.1: fast upscales send none with images).
    if (job.kind === "upscale") {
      if (job.failure === "never-finish") return;
      this.later(() => this.finish(job));
      return;
    }
    if (job.failure === "stop-midway" && step >= Math.ceil(steps.length / 2)) {
      const stopped = { ...job.waiting, content: stoppedContent(job.prompt, uid), edited_timestamp: now() };
      job.waiting = stopped;
      this.send(job.state, "MESSAGE_UPDATE", stopped);
      this.release(job.state);
      return;
    }
    if (step >= steps.length) {
      if (job.failure === "never-finish") return;
      this.finish(job);
      return;
    }
    const pct = steps[step]!;
    const updated: Message = {
      ...job.waiting,
      content: progressContent(job.prompt, uid, pct, job.label),
      edited_timestamp: now(),
      attachments: [this.attachment(job.state, { kind: "preview", hash: job.hash }, "grid_0.webp")],
    };
    job.waiting = updated;
    this.send(job.state, "MESSAGE_UPDATE", updated);
    this.later(() => this.progress(job, step + 1));
  }

  /** The result as a NEW message, then MESSAGE_DELETE of the waiting/progress message (§4.1 steps 5-6). */
  private finish(job: Job): void {
    const state = job.state;
    const uid = state.account.userId;
    const file = `${state.account.username}_${promptSlug(job.prompt)}_${job.hash}.png`;
    const nonce = this.deps.settings.finalWithNonce ? job.nonce : undefined;
    let final: Message;
    if (job.kind === "upscale") {
      const spec: ImageSpec = { kind: "single", hash: job.sourceHash ?? job.hash, index: job.index };
      if (job.source && !job.label)
        this.markUsed(state, job.source, `MJ::JOB::upsample::${job.index}::${job.sourceHash}`);
      final = this.message(state, {
        type: 19,
        content: job.label
          ? doneContent(job.prompt, uid, job.label)
          : upscaleDoneContent(job.prompt, uid, job.index),
        attachments: [this.attachment(state, spec, file)],
        components: upscaleButtons(job.hash),
        reference: job.source
          ? (this.deps.store.get(job.source.channel_id, job.source.id) ?? job.source)
          : undefined,
        embedReference: true,
        nonce,
      });
    } else {
      const attachments = [this.attachment(state, { kind: "grid", hash: job.hash }, file)];
      final =
        job.kind === "imagine"
          ? this.message(state, {
              type: 0,
              content: doneContent(job.prompt, uid),
              attachments,
              components: gridButtons(job.hash),
              nullReference: true,
              nonce,
            })
          : this.message(state, {
              type: 19,
              content: doneContent(job.prompt, uid, job.label),
              attachments,
              components: gridButtons(job.hash),
              reference: job.source,
              embedReference: true,
              nonce,
            });
    }
    this.send(state, "MESSAGE_CREATE", final);
    this.deleteMessage(state, job.waiting);
    state.completed++;
    this.release(state);
  }

  /** After U<i>, Midjourney edits the grid so that button turns primary (style 1, §2). */
  private markUsed(state: AccountState, source: Message, customId: string): void {
    const current = this.deps.store.get(source.channel_id, source.id);
    if (!current) return;
    const components = current.components.map((row) => ({
      ...row,
      components: row.components.map((b) => (b.custom_id === customId ? { ...b, style: 1 } : b)),
    }));
    this.send(state, "MESSAGE_UPDATE", { ...current, components });
  }
}

const PLACEHOLDER = Symbol("reserved") as unknown as Job;
const now = () => new Date().toISOString().replace("Z", "000+00:00");

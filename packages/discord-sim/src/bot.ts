import {
  type ButtonAction,
  describeDescription,
  doneContent,
  parseCustomId,
  progressContent,
  promptOf,
  SHORTEN_FOOTER,
  seedContent,
  shortenDescription,
  stoppedContent,
  upscaleDoneContent,
  upscaleWaitingContent,
  variationWaitingContent,
  waitingContent,
} from "./content.js";
import { appId, type BotApp, botAuthor } from "./discord-objects.js";
import type { Gateway } from "./gateway.js";
import { type ImageSpec, layoutOf } from "./images.js";
import {
  type ActionRow,
  type Attachment,
  buildMessage,
  COLOR_ERROR,
  cancelJobButtons,
  describeButtons,
  type Embed,
  embed,
  gridButtons,
  type Message,
  type MessageContext,
  type MessageInit,
  shortenButtons,
  upscaleButtons,
} from "./messages.js";
import { type ModalSpec, modalEvent, modalFor } from "./modals.js";
import { upscaleFamily } from "./models.js";
import { checkPrompt, promptSlug } from "./prompt.js";
import { type Rng, randomBase64Url, randomHex, uuidV4 } from "./rng.js";
import type { SnowflakeSource } from "./snowflake.js";
import { BoundedMap, type MessageStore } from "./store.js";
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
  /** The account's DM channel with the bot (for /show and the ✉️ seed DM). */
  dmCtx: MessageContext;
  /** Remix mode: V/Vary/reroll/pan open a pop-up first (discord-protocol.md §2). */
  remix: boolean;
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

/** Who asked and where the answer goes. */
interface Req {
  interactionId: string;
  nonce?: string;
  commandName?: string;
  ctx: MessageContext;
  app: BotApp;
}

/** What runs once a pop-up is submitted. */
type Followup = { kind: "button"; action: ButtonAction; source: Message } | { kind: "imagine" };

export interface PendingModal {
  state: AccountState;
  spec: ModalSpec;
  followup: Followup;
  ctx: MessageContext;
  app: BotApp;
}

interface PendingInpaint {
  state: AccountState;
  source: Message;
  hash: string;
  req: Req;
}

/** How a button job runs: its kind, content label and image. */
interface Plan {
  kind: JobKind;
  label?: string;
  index: number;
  waitingText: string;
  scale?: 2 | 4;
}

interface Job {
  state: AccountState;
  ctx: MessageContext;
  app: BotApp;
  commandName: string;
  seed: number;
  scale?: 2 | 4;
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
  /** Open pop-ups by their interaction id (the `data.id` a MODAL_SUBMIT must carry). */
  private readonly modals = new BoundedMap<string, PendingModal>(10_000);
  /** The account a Vary (Region) editor token was opened for, while it is open. */
  inpaintOwner(token: string): AccountState | undefined {
    return this.inpaints.get(token)?.state;
  }

  /** Open Vary (Region) editors by token (`MJ::iframe::<token>`). */
  private readonly inpaints = new BoundedMap<string, PendingInpaint>(10_000);
  /** Finished jobs by hash, for /show and the ✉️ seed DM. */
  private readonly results = new BoundedMap<string, { message: Message; seed: number }>(50_000);
  private readonly hashByMessage = new BoundedMap<string, string>(100_000);

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
    if (t === "MESSAGE_UPDATE" && msg.nonce !== undefined) {
      // Only MESSAGE_CREATE carries the nonce (discord-protocol.md §4.1 step 4).
      const { nonce: _n, ...update } = msg;
      this.dispatch(state, t, update);
      return;
    }
    this.dispatch(state, t, msg);
  }

  /** A message the user posted (uploads, §1.5): stored and echoed on the gateway like Discord does. */
  userMessage(state: AccountState, msg: Message): void {
    this.send(state, "MESSAGE_CREATE", msg);
  }

  private deleteMessage(state: AccountState, msg: Message): void {
    this.deps.store.delete(msg.channel_id, msg.id);
    const d: Record<string, string> = { id: msg.id, channel_id: msg.channel_id };
    if (msg.guild_id) d.guild_id = msg.guild_id;
    this.dispatch(state, "MESSAGE_DELETE", d);
  }

  private message(ctx: MessageContext, init: Omit<MessageInit, "id">): Message {
    return buildMessage(ctx, { ...init, id: this.deps.ids() });
  }

  private attachment(ctx: MessageContext, spec: ImageSpec, filename: string): Attachment {
    const id = this.deps.ids();
    const layout = layoutOf(spec);
    const nowSec = Math.floor(Date.now() / 1000);
    // Discord CDN links carry signed ex/is/hm parameters since 2023-12; clients must strip them (§4.3).
    const query = `?ex=${(nowSec + 86_400).toString(16)}&is=${nowSec.toString(16)}&hm=${randomHex(this.deps.rng, 64)}&`;
    const path = `/attachments/${ctx.channelId}/${id}/${filename}`;
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

  /** Commands the simulator accepts without simulating an answer. */
  acknowledgeOnly(state: AccountState, interactionId: string, nonce: string | undefined): void {
    this.acknowledge(state, interactionId, nonce);
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
    req: Req,
    body: { content?: string; embeds?: MessageInit["embeds"]; components?: ActionRow[] },
  ): void {
    const msg = this.message(req.ctx, {
      type: req.commandName ? 20 : 19,
      content: body.content ?? "",
      ephemeral: true,
      webhook: true,
      interactionId: req.interactionId,
      commandName: req.commandName,
      nonce: req.nonce,
      embeds: body.embeds,
      components: body.components,
      app: req.app,
    });
    this.send(state, "MESSAGE_CREATE", msg);
  }

  /** Failures answered at once, before any job exists; returns true when one was sent. */
  private rejectUpFront(
    state: AccountState,
    req: Req,
    prompt: string,
    failure: FailureKind | undefined,
    checkText = req.commandName === "imagine",
  ): boolean {
    const problem = checkText ? checkPrompt(prompt, this.deps.settings.bannedWords) : null;
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

  private queueFull(state: AccountState, req: Req, prompt: string) {
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

  private jobQueued(state: AccountState, req: Req, prompt: string) {
    const e = embed(
      "Job queued",
      "You have reached the maximum allowed number of concurrent jobs. Your job will start as soon as a slot frees up.",
      16239475,
      prompt,
    );
    this.replyEphemeral(state, req, { embeds: [e] });
  }

  private reqOf(
    state: AccountState,
    r: { interactionId: string; nonce?: string; ctx?: MessageContext; app?: BotApp; commandName?: string },
  ): Req {
    return {
      interactionId: r.interactionId,
      nonce: r.nonce,
      commandName: r.commandName,
      ctx: r.ctx ?? state.ctx,
      app: r.app ?? "mj",
    };
  }

  /** /imagine (and /blend, and imagine pop-ups) accepted with 204 (§4.1). */
  imagine(
    state: AccountState,
    input: {
      interactionId: string;
      nonce?: string;
      prompt: string;
      ctx?: MessageContext;
      app?: BotApp;
      commandName?: "imagine" | "blend";
    },
  ): void {
    const commandName = input.commandName ?? "imagine";
    const req = this.reqOf(state, { ...input, commandName });
    this.acknowledge(state, req.interactionId, req.nonce);
    const failure = this.takeFailure(state);
    // Prompt checks apply to typed prompts; a blend prompt is only links and --ar.
    if (this.rejectUpFront(state, req, input.prompt, failure, commandName === "imagine")) return;
    const admission = this.admit(state);
    if (admission === "full") {
      this.queueFull(state, req, input.prompt);
      return;
    }
    this.later(() => {
      if (admission === "wait") this.jobQueued(state, req, input.prompt);
      const waiting = this.message(req.ctx, {
        type: 20,
        content: waitingContent(input.prompt, state.account.userId),
        webhook: true,
        interactionId: req.interactionId,
        commandName,
        nonce: req.nonce,
        app: req.app,
      });
      this.send(state, "MESSAGE_CREATE", waiting);
      const job: Job = {
        state,
        ctx: req.ctx,
        app: req.app,
        commandName,
        seed: this.seed(),
        kind: "imagine",
        hash: uuidV4(this.deps.rng),
        prompt: input.prompt,
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

  private seed(): number {
    return Math.floor(this.deps.rng() * 4_294_967_295);
  }

  private application(app: BotApp) {
    const author = botAuthor(app);
    return { id: author.id, name: author.username, icon: author.avatar, description: "", bot_id: author.id };
  }

  /** A button click accepted with 204 (§1.3, §2): a pop-up, an editor, nothing, or a job. */
  click(
    state: AccountState,
    input: { interactionId: string; nonce?: string; customId: string; message: Message; ctx: MessageContext },
  ): void {
    const app: BotApp = (input.message.author as { id?: string }).id === appId("niji") ? "niji" : "mj";
    const req = this.reqOf(state, { ...input, app });
    const action = parseCustomId(input.customId);
    const prompt = promptOf(input.message.content) ?? "";
    const modal = modalFor(action, input.message, prompt, state.remix);
    if (modal) {
      // A pop-up answers the click instead of INTERACTION_SUCCESS (discord-protocol.md §1.4, §3.7).
      const d =
        req.nonce === undefined ? { id: req.interactionId } : { id: req.interactionId, nonce: req.nonce };
      this.dispatch(state, "INTERACTION_CREATE", d);
      const followup: Followup =
        action.action === "picreader" || action.action === "prompt-analyzer"
          ? { kind: "imagine" }
          : { kind: "button", action, source: input.message };
      this.modals.set(req.interactionId, { state, spec: modal, followup, ctx: req.ctx, app });
      this.dispatch(
        state,
        "INTERACTION_MODAL_CREATE",
        modalEvent(
          modal,
          { id: req.interactionId, nonce: req.nonce, channelId: req.ctx.channelId, guildId: req.ctx.guildId },
          this.application(app),
        ),
      );
      return;
    }
    if (action.action === "inpaint") {
      this.openInpaint(state, req, input.message, action.hash);
      return;
    }
    this.acknowledge(state, req.interactionId, req.nonce);
    const plan = this.planFor(action, prompt, state.account.userId, false);
    // Bookmarks, cancel, appeal and unknown buttons: acknowledged only, no job, no message.
    if (!plan) return;
    this.buttonJob(state, req, input.message, prompt, plan, "hash" in action ? action.hash : undefined);
  }

  /** The job a button starts; `remixed` when its prompt came from a Remix pop-up (§4.2 content table). */
  private planFor(action: ButtonAction, prompt: string, uid: string, remixed: boolean): Plan | null {
    switch (action.action) {
      case "upscale":
        return {
          kind: "upscale",
          index: action.index,
          waitingText: upscaleWaitingContent(prompt, uid, action.index),
        };
      case "upscale-more":
        return {
          kind: "upscale",
          label: action.label,
          index: 1,
          scale: action.scale,
          waitingText: waitingContent(prompt, uid),
        };
      case "variation":
        return {
          kind: "grid-from-button",
          label: remixed ? (action.strong ? "Remix (Strong)" : "Remix (Subtle)") : action.label,
          index: action.index,
          waitingText: variationWaitingContent(prompt, uid, action.index),
        };
      case "reroll":
        return { kind: "grid-from-button", index: 1, waitingText: waitingContent(prompt, uid) };
      case "zoom":
      case "custom-zoom":
        return {
          kind: "grid-from-button",
          label: "Zoom Out",
          index: 1,
          waitingText: waitingContent(prompt, uid),
        };
      case "pan":
        return {
          kind: "grid-from-button",
          label: action.label,
          index: 1,
          waitingText: waitingContent(prompt, uid),
        };
      case "inpaint":
        return {
          kind: "grid-from-button",
          label: "Variations (Region)",
          index: 1,
          waitingText: waitingContent(prompt, uid),
        };
      default:
        return null;
    }
  }

  /** Start a job from a button (or its pop-up / editor): ephemeral waiting reply, progress, result. */
  private buttonJob(
    state: AccountState,
    req: Req,
    source: Message,
    prompt: string,
    plan: Plan,
    sourceHash: string | undefined,
  ): void {
    const failure = this.takeFailure(state);
    if (this.rejectUpFront(state, req, prompt, failure)) return;
    const admission = this.admit(state);
    if (admission === "full") {
      this.queueFull(state, req, prompt);
      return;
    }
    const hash = uuidV4(this.deps.rng);
    this.later(() => {
      if (admission === "wait") this.jobQueued(state, req, prompt);
      // Button jobs start with an ephemeral type-19 reply with a Cancel Job button (gw-10, gw-11).
      const waiting = this.message(req.ctx, {
        type: 19,
        content: plan.waitingText,
        ephemeral: true,
        webhook: true,
        nonce: req.nonce,
        components: cancelJobButtons(hash),
        reference: source,
        app: req.app,
      });
      this.send(state, "MESSAGE_CREATE", waiting);
      const job: Job = {
        state,
        ctx: req.ctx,
        app: req.app,
        commandName: "imagine",
        seed: this.seed(),
        scale: plan.scale,
        kind: plan.kind,
        hash,
        prompt,
        nonce: req.nonce,
        label: plan.label,
        index: plan.index,
        source,
        sourceHash,
        waiting,
        failure: failure === "never-finish" || failure === "stop-midway" ? failure : undefined,
      };
      this.enqueue(job, admission);
    });
    if (admission === "run") state.running++;
    else state.queue.push(PLACEHOLDER);
  }

  /** The pop-up a MODAL_SUBMIT names by `data.id`, if it is open for this account. */
  openModal(state: AccountState, id: string): PendingModal | undefined {
    const pending = this.modals.get(id);
    return pending && pending.state === state ? pending : undefined;
  }

  /** A MODAL_SUBMIT accepted with 204: the job runs with the submitted prompt and the submit's nonce. */
  submitModal(
    state: AccountState,
    input: { interactionId: string; nonce?: string; modalId: string; prompt: string },
  ): void {
    const pending = this.modals.get(input.modalId);
    if (!pending) return;
    this.modals.delete(input.modalId);
    const req = this.reqOf(state, { ...input, ctx: pending.ctx, app: pending.app });
    if (pending.followup.kind === "imagine") {
      const { interactionId, nonce, ctx, app } = req;
      this.imagine(state, { interactionId, nonce, ctx, app, prompt: input.prompt });
      return;
    }
    const { action, source } = pending.followup;
    this.acknowledge(state, req.interactionId, req.nonce);
    const plan = this.planFor(action, input.prompt, state.account.userId, true);
    if (plan)
      this.buttonJob(state, req, source, input.prompt, plan, "hash" in action ? action.hash : undefined);
  }

  /** Vary (Region): the editor opens as an iframe pop-up (discord-protocol.md §1.4). */
  private openInpaint(state: AccountState, req: Req, source: Message, hash: string): void {
    const token = randomBase64Url(this.deps.rng, 43);
    const d =
      req.nonce === undefined ? { id: req.interactionId } : { id: req.interactionId, nonce: req.nonce };
    this.dispatch(state, "INTERACTION_CREATE", d);
    this.inpaints.set(token, { state, source, hash, req });
    this.dispatch(state, "INTERACTION_IFRAME_MODAL_CREATE", {
      ...d,
      channel_id: req.ctx.channelId,
      ...(req.ctx.guildId ? { guild_id: req.ctx.guildId } : {}),
      custom_id: `MJ::iframe::${token}`,
      title: "Vary (Region)",
      iframe_path: `/inpaint/?custom_id=${encodeURIComponent(`MJ::iframe::${token}`)}&channel_id=${req.ctx.channelId}`,
      modal_size: 2,
      application: this.application(req.app),
    });
  }

  /** The editor's submit-job: false when the token is unknown or already used. */
  submitInpaint(token: string, prompt: string): boolean {
    const pending = this.inpaints.get(token);
    if (!pending) return false;
    this.inpaints.delete(token);
    const { state, source, req, hash } = pending;
    const text = prompt.trim() || (promptOf(source.content) ?? "");
    const plan = this.planFor({ action: "inpaint", hash }, text, state.account.userId, false)!;
    this.buttonJob(state, req, source, text, plan, hash);
    return true;
  }

  /** /describe (§4.5): a start message with the nonce, then an UPDATE with four prompts and buttons. */
  describe(
    state: AccountState,
    input: {
      interactionId: string;
      nonce?: string;
      ctx?: MessageContext;
      app: BotApp;
      image: { url: string; width: number; height: number };
      subject: string;
    },
  ): void {
    const req = this.reqOf(state, { ...input, commandName: "describe" });
    this.acknowledge(state, req.interactionId, req.nonce);
    this.later(() => {
      const start = this.message(req.ctx, {
        type: 20,
        content: "",
        webhook: true,
        interactionId: req.interactionId,
        commandName: "describe",
        nonce: req.nonce,
        app: req.app,
      });
      this.send(state, "MESSAGE_CREATE", start);
      this.later(() => {
        const result: Embed = {
          type: "rich",
          description: describeDescription(input.subject),
          image: { ...input.image, proxy_url: input.image.url },
          color: 0x4f545c,
          content_scan_version: 0,
        };
        this.send(state, "MESSAGE_UPDATE", {
          ...start,
          embeds: [result],
          components: describeButtons(),
          edited_timestamp: now(),
        });
        state.completed++;
      });
    });
  }

  /** /shorten (§4.5): one message with the tokens, five shorter prompts and PromptAnalyzer buttons. */
  shorten(
    state: AccountState,
    input: { interactionId: string; nonce?: string; ctx?: MessageContext; app: BotApp; prompt: string },
  ): void {
    const req = this.reqOf(state, { ...input, commandName: "shorten" });
    this.acknowledge(state, req.interactionId, req.nonce);
    this.later(() => {
      const e: Embed = {
        type: "rich",
        description: shortenDescription(input.prompt),
        color: 0x4f545c,
        footer: { text: SHORTEN_FOOTER },
        content_scan_version: 0,
      };
      const msg = this.message(req.ctx, {
        type: 20,
        content: "",
        webhook: true,
        interactionId: req.interactionId,
        commandName: "shorten",
        nonce: req.nonce,
        embeds: [e],
        components: shortenButtons(),
        app: req.app,
      });
      this.send(state, "MESSAGE_CREATE", msg);
      state.completed++;
    });
  }

  /** /show job_id (discord-protocol.md §4.5): the job's result posted again, with its buttons. */
  show(
    state: AccountState,
    input: { interactionId: string; nonce?: string; ctx?: MessageContext; app: BotApp; jobId: string },
  ): void {
    const req = this.reqOf(state, { ...input, commandName: "show" });
    this.acknowledge(state, req.interactionId, req.nonce);
    const result = this.results.get(input.jobId);
    this.later(() => {
      if (!result) {
        this.replyEphemeral(state, req, {
          embeds: [
            embed("Invalid job ID", `No job found with ID \`${input.jobId}\`.`, COLOR_ERROR, input.jobId),
          ],
        });
        return;
      }
      const msg = this.message(req.ctx, {
        type: 20,
        content: result.message.content,
        webhook: true,
        interactionId: req.interactionId,
        commandName: "show",
        nonce: req.nonce,
        attachments: result.message.attachments,
        components: result.message.components,
        app: req.app,
      });
      this.hashByMessage.set(msg.id, input.jobId);
      this.send(state, "MESSAGE_CREATE", msg);
    });
  }

  /** Whether a message is a job result the ✉️ reaction works on. */
  isResult(messageId: string): boolean {
    return this.hashByMessage.has(messageId);
  }

  /** ✉️ on a result: the bot DMs the job id and seed (discord-protocol.md §4.5). */
  envelope(state: AccountState, messageId: string): void {
    const hash = this.hashByMessage.get(messageId);
    const result = hash ? this.results.get(hash) : undefined;
    if (!hash || !result) return;
    this.later(() => {
      const dm = this.message(state.dmCtx, { type: 0, content: seedContent(hash, result.seed) });
      this.send(state, "MESSAGE_CREATE", dm);
    });
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
      attachments: [this.attachment(job.ctx, { kind: "preview", hash: job.hash }, "grid_0.webp")],
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
    const ctx = job.ctx;
    let final: Message;
    if (job.kind === "upscale") {
      const spec: ImageSpec = {
        kind: "single",
        hash: job.sourceHash ?? job.hash,
        index: job.index,
        scale: job.scale ?? 1,
      };
      if (job.source && !job.label)
        this.markUsed(state, job.source, `MJ::JOB::upsample::${job.index}::${job.sourceHash}`);
      final = this.message(ctx, {
        type: 19,
        content: job.label
          ? doneContent(job.prompt, uid, job.label)
          : upscaleDoneContent(job.prompt, uid, job.index),
        attachments: [this.attachment(ctx, spec, file)],
        components: upscaleButtons(job.hash, upscaleFamily(job.prompt)),
        reference: job.source
          ? (this.deps.store.get(job.source.channel_id, job.source.id) ?? job.source)
          : undefined,
        embedReference: true,
        nonce,
        app: job.app,
      });
    } else {
      const attachments = [this.attachment(ctx, { kind: "grid", hash: job.hash }, file)];
      final =
        job.kind === "imagine"
          ? this.message(ctx, {
              type: 0,
              content: doneContent(job.prompt, uid),
              attachments,
              components: gridButtons(job.hash),
              nullReference: true,
              nonce,
              app: job.app,
            })
          : this.message(ctx, {
              type: 19,
              content: doneContent(job.prompt, uid, job.label),
              attachments,
              components: gridButtons(job.hash),
              reference: job.source,
              embedReference: true,
              nonce,
              app: job.app,
            });
    }
    this.results.set(job.hash, { message: final, seed: job.seed });
    this.hashByMessage.set(final.id, job.hash);
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

import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import type { AccountState, MidjourneyBot } from "./bot.js";
import { commandIndex } from "./commands.js";
import { MJ_APPLICATION_ID, MJ_BOT_AUTHOR, userObject } from "./discord-objects.js";
import { HttpError, parsePayload, readBody, sendJson } from "./http-util.js";
import { renderImage } from "./images.js";
import { findButton, type Message, type MessageContext, toRestMessage } from "./messages.js";
import { echoPrompt } from "./prompt.js";
import { OK_RATE_HEADERS, type RateLimits, sendRateLimited } from "./rate-limits.js";
import { type Rng, randomHex, shortCode } from "./rng.js";
import {
  AttachmentsRequest,
  CreateDmRequest,
  CreateMessageRequest,
  formErrors,
  InteractionBody,
  type ModalSubmitInteraction,
} from "./schemas.js";
import { discordTimestamp, type SnowflakeSource } from "./snowflake.js";
import type { MessageStore } from "./store.js";
import { pngSize, type UploadRecord, type Uploads } from "./uploads.js";
import { badField, checkCommand, fieldError, invalidForm } from "./validate.js";

/** Discord REST under /api/v9 and /api/v10, plus the CDN and upload routes (discord-protocol.md §1). */
export interface RestDeps {
  bot: MidjourneyBot;
  store: MessageStore;
  uploads: Uploads;
  rateLimits: RateLimits;
  ids: SnowflakeSource;
  rng: Rng;
  origin: () => string;
  gatewayBase: () => string;
  stateByToken: (token: string) => AccountState | undefined;
  stateByChannel: (channelId: string) => AccountState | undefined;
}

const UNAUTHORIZED = { message: "401: Unauthorized", code: 0 };
const NOT_FOUND = { message: "404: Not Found", code: 0 };
const UNKNOWN_CHANNEL = { message: "Unknown Channel", code: 10003 };
const UNKNOWN_MESSAGE = { message: "Unknown Message", code: 10008 };
const MISSING_ACCESS = { message: "Missing Access", code: 50001 };
// A MODAL_SUBMIT naming a pop-up that is not open (never opened, other account, already submitted): §1.6.
const UNKNOWN_INTERACTION = { message: "Unknown interaction", code: 10062 };
const ENVELOPE = new Set(["\u2709\uFE0F", "\u2709"]);

export function createRest(deps: RestDeps) {
  function auth(req: IncomingMessage): AccountState {
    const header = req.headers.authorization ?? "";
    const state = header ? deps.stateByToken(header) : undefined;
    if (!state) throw new HttpError(401, UNAUTHORIZED);
    return state;
  }

  /** The channel must exist and belong to the caller (a user sees only its own simulated channel). */
  function ownChannel(state: AccountState, channelId: string | undefined | null): void {
    if (!channelId || channelId === state.account.channelId || channelId === state.dmCtx.channelId) return;
    throw new HttpError(
      deps.stateByChannel(channelId) ? 403 : 404,
      deps.stateByChannel(channelId) ? MISSING_ACCESS : UNKNOWN_CHANNEL,
    );
  }

  const ctxOf = (state: AccountState, channelId: string): MessageContext =>
    channelId === state.dmCtx.channelId ? state.dmCtx : state.ctx;

  async function interactions(req: IncomingMessage, res: ServerResponse, state: AccountState): Promise<void> {
    const payload = parsePayload(req.headers["content-type"], await readBody(req, 1 << 20));
    const parsed = InteractionBody.safeParse(payload);
    if (!parsed.success) throw new HttpError(400, invalidForm(formErrors(parsed.error.issues)));
    const body = parsed.data;
    ownChannel(state, body.channel_id);
    if (body.guild_id != null && body.guild_id !== state.account.guildId)
      throw new HttpError(403, MISSING_ACCESS);
    const ctx = ctxOf(state, body.channel_id);
    const interactionId = deps.ids();
    const nonce = body.nonce;
    if (body.type === 2) {
      const call = checkCommand(body, (f) => deps.uploads.get(f));
      const name = call.command.name;
      const prompt = call.strings.has("prompt") ? echoPrompt(call.strings.get("prompt")!) : undefined;
      deps.bot.record(state, { at: Date.now(), nonce: nonce ?? null, type: 2, commandName: name, prompt });
      res.writeHead(204, OK_RATE_HEADERS).end();
      const base = { interactionId, nonce, ctx, app: call.app };
      switch (name) {
        case "imagine":
          deps.bot.imagine(state, { ...base, prompt: prompt! });
          return;
        case "shorten":
          deps.bot.shorten(state, { ...base, prompt: prompt! });
          return;
        case "show":
          deps.bot.show(state, { ...base, jobId: call.strings.get("job_id")!.trim() });
          return;
        case "blend": {
          const images = [1, 2, 3, 4, 5]
            .map((n) => call.files.get(`image${n}`))
            .filter((f) => f !== undefined);
          const links = images.map((f) => `<https://s.mj.run/${shortCode(f.uploadFilename)}>`).join(" ");
          const dims = call.strings.get("dimensions");
          deps.bot.imagine(state, {
            ...base,
            commandName: "blend",
            prompt: dims ? `${links} ${dims}` : links,
          });
          return;
        }
        case "describe": {
          const file = call.files.get("image");
          const link = call.strings.get("link");
          const image = file ? publish(ctx.channelId, file) : { url: link!, width: 512, height: 512 };
          const name = file?.filename ?? new URL(link!).pathname.split("/").pop() ?? "image";
          deps.bot.describe(state, { ...base, image, subject: name.replace(/\.[^.]*$/, "") });
          return;
        }
        default:
          // settings, info, fast, relax…: accepted, no simulated answer.
          deps.bot.acknowledgeOnly(state, interactionId, nonce);
          return;
      }
    }
    if (body.type === 5) {
      const prompt = checkModalSubmit(state, body);
      deps.bot.record(state, {
        at: Date.now(),
        nonce: nonce ?? null,
        type: 5,
        customId: body.data.custom_id,
        prompt,
      });
      res.writeHead(204, OK_RATE_HEADERS).end();
      deps.bot.submitModal(state, { interactionId, nonce, modalId: body.data.id, prompt });
      return;
    }
    const message = deps.store.get(body.channel_id, body.message_id);
    if (!message) throw new HttpError(404, UNKNOWN_MESSAGE);
    if (body.message_flags !== message.flags)
      throw badField("message_flags", "MESSAGE_FLAGS_MISMATCH", "Flags do not match the message.");
    if ((message.author as { id?: string }).id !== body.application_id)
      throw badField(
        "application_id",
        "COMPONENT_VALIDATION_FAILED",
        "The message is not this application's.",
      );
    if (!findButton(message, body.data.custom_id)) {
      // A component that is not on the message: Discord refuses the form (§1.6).
      throw badField("data.custom_id", "COMPONENT_VALIDATION_FAILED", "Component custom id cannot be found.");
    }
    deps.bot.record(state, {
      at: Date.now(),
      nonce: nonce ?? null,
      type: 3,
      customId: body.data.custom_id,
    });
    res.writeHead(204, OK_RATE_HEADERS).end();
    deps.bot.click(state, { interactionId, nonce, customId: body.data.custom_id, message, ctx });
  }

  /** The submitted prompt of a valid MODAL_SUBMIT; throws Discord's answer otherwise. */
  function checkModalSubmit(state: AccountState, body: z.infer<typeof ModalSubmitInteraction>): string {
    const pending = deps.bot.openModal(state, body.data.id);
    if (!pending) throw new HttpError(404, UNKNOWN_INTERACTION);
    if (body.data.custom_id !== pending.spec.customId)
      throw badField("data.custom_id", "MODAL_VALIDATION_FAILED", "Modal custom id does not match.");
    if (body.channel_id !== pending.ctx.channelId)
      throw badField("channel_id", "MODAL_VALIDATION_FAILED", "The modal was opened in another channel.");
    const fields = body.data.components.flatMap((row) => row.components);
    const i = fields.findIndex((f) => f.custom_id === pending.spec.fieldId);
    if (i < 0)
      throw badField(
        "data.components",
        "MODAL_VALIDATION_FAILED",
        `Missing text input ${pending.spec.fieldId}.`,
      );
    const value = echoPrompt(fields[i]!.value);
    if (value === "")
      throw badField(
        `data.components.0.components.${i}.value`,
        "BASE_TYPE_REQUIRED",
        "This field is required",
      );
    return value;
  }

  /** A CDN URL for an uploaded file (describe's image, a posted attachment). */
  function publish(channelId: string, file: UploadRecord) {
    const id = deps.ids();
    deps.store.uploadLinks.set(id, file.uploadFilename);
    const size = pngSize(file.body!);
    return {
      id,
      url: `${deps.origin()}/attachments/${channelId}/${id}/${file.filename}`,
      proxy_url: `${deps.origin()}/media/attachments/${channelId}/${id}/${file.filename}`,
      width: size?.width ?? 512,
      height: size?.height ?? 512,
    };
  }

  /** POST /channels/:id/messages with uploaded attachments (§1.5 alternative): the user's own message. */
  async function createMessage(
    req: IncomingMessage,
    res: ServerResponse,
    state: AccountState,
    channelId: string,
  ) {
    const parsed = CreateMessageRequest.safeParse(
      parsePayload(req.headers["content-type"], await readBody(req, 1 << 20)),
    );
    if (!parsed.success) throw new HttpError(400, invalidForm(formErrors(parsed.error.issues)));
    const body = parsed.data;
    const attachments = body.attachments.map((ref, i) => {
      const rec = deps.uploads.get(ref.uploaded_filename);
      if (!rec?.body)
        throw badField(`attachments.${i}.uploaded_filename`, "ATTACHMENT_NOT_FOUND", "Unknown upload.");
      const link = publish(channelId, rec);
      return {
        ...link,
        filename: rec.filename,
        size: rec.size!,
        content_type: rec.contentType!,
      };
    });
    if (attachments.length === 0 && body.content.trim() === "")
      throw new HttpError(400, { message: "Cannot send an empty message", code: 50006 });
    const ctx = ctxOf(state, channelId);
    const msg: Message = {
      id: deps.ids(),
      type: 0,
      content: body.content,
      channel_id: channelId,
      author: userObject(ctx.user),
      attachments,
      embeds: [],
      mentions: [],
      mention_roles: [],
      mention_everyone: false,
      pinned: false,
      tts: false,
      timestamp: discordTimestamp(),
      edited_timestamp: null,
      flags: 0,
      components: [],
      ...(body.nonce !== undefined ? { nonce: String(body.nonce) } : {}),
      ...(ctx.guildId ? { guild_id: ctx.guildId } : {}),
    };
    deps.bot.userMessage(state, msg);
    sendJson(res, 200, toRestMessage(msg), OK_RATE_HEADERS);
  }

  function listMessages(url: URL, res: ServerResponse, channelId: string): void {
    const limit = Math.min(100, Math.max(1, Number(url.searchParams.get("limit") ?? "50") || 50));
    const before = url.searchParams.get("before") ?? undefined;
    const after = url.searchParams.get("after") ?? undefined;
    for (const v of [before, after]) {
      if (v !== undefined && !/^\d{1,21}$/.test(v))
        throw new HttpError(400, fieldError("before", "NUMBER_TYPE_COERCE", "Value is not snowflake."));
    }
    sendJson(
      res,
      200,
      deps.store.list(channelId, { limit, before, after }).map(toRestMessage),
      OK_RATE_HEADERS,
    );
  }

  async function createAttachments(
    req: IncomingMessage,
    res: ServerResponse,
    channelId: string,
  ): Promise<void> {
    const parsed = AttachmentsRequest.safeParse(
      parsePayload(req.headers["content-type"], await readBody(req, 1 << 20)),
    );
    if (!parsed.success) throw new HttpError(400, invalidForm(formErrors(parsed.error.issues)));
    const attachments = parsed.data.files.map((f, i) => {
      const name = f.filename.replace(/[^\w.-]+/g, "_");
      const uploadFilename = `${channelId}/${randomHex(deps.rng, 32)}/${name}`;
      deps.uploads.announce({ channelId, uploadFilename, filename: name, declaredSize: f.file_size ?? null });
      return {
        id: typeof f.id === "string" ? Number(f.id) || i : (f.id ?? i),
        upload_url: `${deps.origin()}/upload/${uploadFilename}?upload_id=${randomHex(deps.rng, 40)}`,
        upload_filename: uploadFilename,
      };
    });
    sendJson(res, 200, { attachments });
  }

  async function upload(req: IncomingMessage, res: ServerResponse, key: string): Promise<void> {
    const body = await readBody(req, 25 << 20);
    const refused = deps.uploads.fill(decodeURIComponent(key), body, req.headers["content-type"]);
    // The storage bucket answers 400 to a body it does not accept (§1.5 step 2).
    if (refused) throw new HttpError(400, { message: refused });
    res.writeHead(200, { "content-length": "0" }).end();
  }

  function cdn(res: ServerResponse, path: string, head: boolean): void {
    // /attachments/<channel>/<attachment id>/<filename>
    const [, , , attachmentId] = path.split("/");
    const spec = attachmentId ? deps.store.images.get(attachmentId) : undefined;
    const linked = attachmentId ? deps.store.uploadLinks.get(attachmentId) : undefined;
    const file = linked
      ? deps.uploads.get(linked)
      : deps.uploads.get(decodeURIComponent(path.replace(/^\/upload\//, "")));
    if (spec) {
      const png = renderImage(spec);
      res.writeHead(200, {
        "content-type": "image/png",
        "content-length": png.length,
        "cache-control": "public, max-age=31536000",
      });
      res.end(head ? undefined : png);
      return;
    }
    if (file?.body) {
      res.writeHead(200, { "content-type": file.contentType!, "content-length": file.body.length });
      res.end(head ? undefined : file.body);
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("This content is no longer available.");
  }

  /** Returns false when the path is not a Discord route. */
  return async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const path = url.pathname;
    const method = req.method ?? "GET";
    if (method === "GET" || method === "HEAD") {
      if (path.startsWith("/attachments/")) {
        await cdn(res, path, method === "HEAD");
        return true;
      }
      if (path.startsWith("/media/attachments/")) {
        await cdn(res, path.slice(6), method === "HEAD");
        return true;
      }
      if (path.startsWith("/upload/")) {
        await cdn(res, path, method === "HEAD");
        return true;
      }
    }
    if (method === "PUT" && path.startsWith("/upload/")) {
      await upload(req, res, path.slice(8));
      return true;
    }
    const api = /^\/api\/v(9|10)(\/.*)$/.exec(path);
    if (!api) return false;
    const route = api[2]!;
    if (route === "/gateway" && method === "GET") {
      await sendJson(res, 200, { url: deps.gatewayBase() });
      return true;
    }
    const state = auth(req);
    const limited = deps.rateLimits.take(state.account.id);
    if (limited) {
      await sendRateLimited(res, limited);
      return true;
    }
    if (method === "POST" && route === "/interactions") {
      await interactions(req, res, state);
      return true;
    }
    if (method === "GET" && route === "/users/@me") {
      const a = state.account;
      await sendJson(res, 200, {
        ...userObject({ id: a.userId, username: a.username, discriminator: "0" }),
        bot: false,
      });
      return true;
    }
    if (method === "POST" && route === "/users/@me/channels") {
      const parsed = CreateDmRequest.safeParse(
        parsePayload(req.headers["content-type"], await readBody(req, 1 << 16)),
      );
      if (!parsed.success) throw new HttpError(400, invalidForm(formErrors(parsed.error.issues)));
      // Only the DM with the Midjourney bot is simulated (discord-protocol.md §4.5).
      if (parsed.data.recipients[0] !== MJ_APPLICATION_ID)
        throw badField("recipients.0", "USER_NOT_FOUND", "Unknown user.");
      const { avatar_decoration: _d, ...botUser } = MJ_BOT_AUTHOR;
      await sendJson(res, 200, {
        id: state.dmCtx.channelId,
        type: 1,
        last_message_id: null,
        flags: 0,
        recipients: [botUser],
      });
      return true;
    }
    if (
      method === "GET" &&
      (route === "/users/@me/application-command-index" ||
        route === `/guilds/${state.account.guildId}/application-command-index`)
    ) {
      await sendJson(res, 200, commandIndex());
      return true;
    }
    const guildIndex = /^\/guilds\/(\d+)\/application-command-index$/.exec(route);
    if (guildIndex) throw new HttpError(403, MISSING_ACCESS);
    const reaction = /^\/channels\/(\d+)\/messages\/(\d+)\/reactions\/([^/]+)\/(?:@me|%40me)$/.exec(route);
    if (reaction && method === "PUT") {
      const [, channelId, messageId, emoji] = reaction;
      ownChannel(state, channelId!);
      const msg = deps.store.get(channelId!, messageId!);
      if (!msg) throw new HttpError(404, UNKNOWN_MESSAGE);
      res.writeHead(204, OK_RATE_HEADERS).end();
      if (ENVELOPE.has(decodeURIComponent(emoji!)) && deps.bot.isResult(messageId!))
        deps.bot.envelope(state, messageId!);
      return true;
    }
    const channel =
      /^\/channels\/(\d+)\/(messages|attachments|application-commands\/search)(?:\/(\d+))?$/.exec(route);
    if (channel) {
      const [, channelId, what, messageId] = channel;
      ownChannel(state, channelId!);
      if (method === "GET" && what === "messages" && messageId) {
        const msg = deps.store.get(channelId!, messageId);
        if (!msg || msg.flags & 64) throw new HttpError(404, UNKNOWN_MESSAGE);
        await sendJson(res, 200, toRestMessage(msg));
        return true;
      }
      if (method === "POST" && what === "messages" && !messageId) {
        await createMessage(req, res, state, channelId!);
        return true;
      }
      if (method === "GET" && what === "messages") {
        await listMessages(url, res, channelId!);
        return true;
      }
      if (method === "POST" && what === "attachments") {
        await createAttachments(req, res, channelId!);
        return true;
      }
      if (method === "GET" && what === "application-commands/search") {
        await sendJson(res, 200, commandIndex(url.searchParams.get("application_id")));
        return true;
      }
    }
    throw new HttpError(404, NOT_FOUND);
  };
}

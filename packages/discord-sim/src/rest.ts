import type { IncomingMessage, ServerResponse } from "node:http";
import type { AccountState, MidjourneyBot } from "./bot.js";
import { commandIndex } from "./commands.js";
import { IMAGINE_COMMAND_ID, userObject } from "./discord-objects.js";
import { HttpError, parsePayload, readBody, sendJson } from "./http-util.js";
import { renderImage } from "./images.js";
import { findButton, toRestMessage } from "./messages.js";
import { echoPrompt } from "./prompt.js";
import { OK_RATE_HEADERS, type RateLimits, sendRateLimited } from "./rate-limits.js";
import { type Rng, randomHex } from "./rng.js";
import { AttachmentsRequest, formErrors, InteractionBody } from "./schemas.js";
import type { SnowflakeSource } from "./snowflake.js";
import type { MessageStore } from "./store.js";

/** Discord REST under /api/v9 and /api/v10, plus the CDN and upload routes (discord-protocol.md §1). */
export interface RestDeps {
  bot: MidjourneyBot;
  store: MessageStore;
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
const invalidForm = (errors: Record<string, unknown>) => ({
  code: 50035,
  errors,
  message: "Invalid Form Body",
});
const fieldError = (field: string, code: string, message: string) =>
  invalidForm({ [field]: { _errors: [{ code, message }] } });

export function createRest(deps: RestDeps) {
  function auth(req: IncomingMessage): AccountState {
    const header = req.headers.authorization ?? "";
    const state = header ? deps.stateByToken(header) : undefined;
    if (!state) throw new HttpError(401, UNAUTHORIZED);
    return state;
  }

  /** The channel must exist and belong to the caller (a user sees only its own simulated channel). */
  function ownChannel(state: AccountState, channelId: string | undefined | null): void {
    if (!channelId || channelId === state.account.channelId) return;
    throw new HttpError(
      deps.stateByChannel(channelId) ? 403 : 404,
      deps.stateByChannel(channelId) ? MISSING_ACCESS : UNKNOWN_CHANNEL,
    );
  }

  async function interactions(req: IncomingMessage, res: ServerResponse, state: AccountState): Promise<void> {
    const payload = parsePayload(req.headers["content-type"], await readBody(req, 1 << 20));
    const parsed = InteractionBody.safeParse(payload);
    if (!parsed.success) throw new HttpError(400, invalidForm(formErrors(parsed.error.issues)));
    const body = parsed.data;
    ownChannel(state, body.channel_id);
    if (body.guild_id != null && body.guild_id !== state.account.guildId)
      throw new HttpError(403, MISSING_ACCESS);
    const interactionId = deps.ids();
    if (body.type === 2) {
      // Only /imagine is simulated; any `version` is accepted, the command id must match (§1.2).
      if (body.data.id !== IMAGINE_COMMAND_ID || body.data.name !== "imagine") {
        throw new HttpError(
          400,
          fieldError("data", "APPLICATION_COMMAND_INVALID", "Unknown or unsupported application command."),
        );
      }
      const option = body.data.options.find((o) => o.name === "prompt");
      if (!option || typeof option.value !== "string") {
        throw new HttpError(
          400,
          fieldError("data", "APPLICATION_COMMAND_OPTIONS_REQUIRED", "Required option prompt is missing."),
        );
      }
      const prompt = echoPrompt(option.value);
      deps.bot.record(state, {
        at: Date.now(),
        nonce: body.nonce ?? null,
        type: 2,
        commandName: "imagine",
        prompt,
      });
      res.writeHead(204, OK_RATE_HEADERS).end();
      deps.bot.imagine(state, { interactionId, nonce: body.nonce, prompt });
      return;
    }
    const message = deps.store.get(body.channel_id, body.message_id);
    if (!message) throw new HttpError(404, UNKNOWN_MESSAGE);
    if (!findButton(message, body.data.custom_id)) {
      throw new HttpError(
        400,
        fieldError("data", "COMPONENT_VALIDATION_FAILED", "Component custom id cannot be found."),
      );
    }
    deps.bot.record(state, {
      at: Date.now(),
      nonce: body.nonce ?? null,
      type: 3,
      customId: body.data.custom_id,
    });
    res.writeHead(204, OK_RATE_HEADERS).end();
    deps.bot.click(state, { interactionId, nonce: body.nonce, customId: body.data.custom_id, message });
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
    deps.store.uploads.set(key, {
      contentType: req.headers["content-type"] ?? "application/octet-stream",
      body,
    });
    res.writeHead(200, { "content-length": "0" }).end();
  }

  function cdn(res: ServerResponse, path: string, head: boolean): void {
    // /attachments/<channel>/<attachment id>/<filename>
    const [, , , attachmentId] = path.split("/");
    const spec = attachmentId ? deps.store.images.get(attachmentId) : undefined;
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
    const upload = deps.store.uploads.get(path.replace(/^\/upload\//, ""));
    if (upload) {
      res.writeHead(200, { "content-type": upload.contentType, "content-length": upload.body.length });
      res.end(head ? undefined : upload.body);
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
      if (method === "GET" && what === "messages") {
        await listMessages(url, res, channelId!);
        return true;
      }
      if (method === "POST" && what === "attachments") {
        await createAttachments(req, res, channelId!);
        return true;
      }
      if (method === "GET" && what === "application-commands/search") {
        await sendJson(res, 200, commandIndex());
        return true;
      }
    }
    throw new HttpError(404, NOT_FOUND);
  };
}

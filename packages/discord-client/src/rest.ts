import { EventEmitter } from "node:events";
import { inspect } from "node:util";
import { type Dispatcher, request } from "undici";
import { z } from "zod";
import { DEFAULT_IDENTIFY_PROPERTIES, DEFAULT_USER_AGENT, superProperties } from "./identify.js";
import { redactToken, safeErrorMessage } from "./redact.js";
import { classifyResponse, type InteractionResult, type ResponseHeaders } from "./rest-result.js";

export interface RestOptions {
  /** User token, sent as `Authorization: <token>` without a prefix (discord-protocol.md §1.1). Never logged. */
  token: string;
  /** `DISCORD_API_URL`, e.g. `https://discord.com/api/v9`. */
  apiUrl: string;
  /** @defaultValue the Chrome User-Agent of the default identify (§1.1) */
  userAgent?: string;
  /** Whole-request timeout. @defaultValue 15000 */
  timeoutMs?: number;
  /** @defaultValue undici's global dispatcher */
  dispatcher?: Dispatcher;
}

/** A REST call other than `sendInteraction` that Discord did not answer with 2xx. */
export class DiscordRestError extends Error {
  constructor(readonly result: Exclude<InteractionResult, { kind: "ok" }>) {
    super(
      `Discord REST ${result.kind}: ${"message" in result ? result.message : `retry after ${result.retryAfterMs} ms`}`,
    );
    this.name = "DiscordRestError";
  }
}

/** Interaction answers are 204 or a small error (§1.6); anything longer is cut. */
const INTERACTION_BODY_LIMIT = 64 * 1024;
/** The command index and 100 messages stay well under this. */
const JSON_BODY_LIMIT = 16 * 1024 * 1024;

const MessageListSchema = z.array(z.unknown());

/** `POST /channels/:id/attachments` answer: one upload slot per file (§1.5). */
const AttachmentSlotsSchema = z.looseObject({
  attachments: z.array(
    z.looseObject({
      id: z.union([z.string(), z.number()]).transform(String),
      upload_url: z.string().url(),
      upload_filename: z.string().min(1),
    }),
  ),
});
export type AttachmentSlot = z.infer<typeof AttachmentSlotsSchema>["attachments"][number];

const ChannelSchema = z.looseObject({ id: z.string().min(1) });

interface RawResponse {
  status: number;
  headers: ResponseHeaders;
  text: string;
  truncated: boolean;
}

/** What every Discord answer emits as `answer`: its kind and status only (never a body or the token). */
export interface RestAnswer {
  method: string;
  kind: InteractionResult["kind"];
  status: number;
}

/**
 * Discord REST for a user account: interactions, the command index and recent channel messages.
 * Emits `answer` ({@link RestAnswer}) for each answer Discord gives, for metrics.
 */
export class DiscordRest extends EventEmitter<{ answer: [RestAnswer] }> {
  readonly #token: string;
  readonly #apiUrl: string;
  readonly #userAgent: string;
  readonly #timeoutMs: number;
  readonly #dispatcher: Dispatcher | undefined;
  readonly #superProperties: string;

  constructor(opts: RestOptions) {
    super();
    if (!opts.token) throw new Error("DiscordRest: token is required");
    const api = new URL(opts.apiUrl);
    if (api.protocol !== "http:" && api.protocol !== "https:") {
      throw new Error(`DiscordRest: apiUrl must be http(s), got ${api.protocol}`);
    }
    this.#token = opts.token;
    this.#apiUrl = api.toString().replace(/\/+$/, "");
    this.#userAgent = opts.userAgent ?? DEFAULT_USER_AGENT;
    this.#timeoutMs = opts.timeoutMs ?? 15_000;
    this.#dispatcher = opts.dispatcher;
    this.#superProperties = superProperties({
      ...DEFAULT_IDENTIFY_PROPERTIES,
      browser_user_agent: this.#userAgent,
    });
  }

  /** `POST /interactions` (§1.2–§1.4). Never throws: network trouble is a `server_error` to retry. */
  async sendInteraction(body: object): Promise<InteractionResult> {
    let res: RawResponse;
    try {
      res = await this.#call("POST", "/interactions", INTERACTION_BODY_LIMIT, body);
    } catch (err) {
      return { kind: "server_error", status: 0, message: safeErrorMessage(err, this.#token) };
    }
    return this.#classify("POST", res);
  }

  /** The guild's command index (§1.2), or the user-scope index when the guild one is refused. */
  async applicationCommandIndex(guildId: string): Promise<unknown> {
    try {
      return await this.#getJson(`/guilds/${encodeURIComponent(guildId)}/application-command-index`);
    } catch (err) {
      const kind = err instanceof DiscordRestError ? err.result.kind : null;
      if (kind !== "unauthorized" && kind !== "not_found") throw err;
      return this.#getJson("/users/@me/application-command-index");
    }
  }

  /** `GET /channels/:id/messages`, newest first as Discord returns them. */
  async channelMessages(
    channelId: string,
    q: { limit?: number; before?: string; after?: string } = {},
  ): Promise<unknown[]> {
    const query = new URLSearchParams();
    if (q.limit !== undefined) query.set("limit", String(Math.min(100, Math.max(1, Math.trunc(q.limit)))));
    if (q.before) query.set("before", q.before);
    if (q.after) query.set("after", q.after);
    const search = query.size > 0 ? `?${query.toString()}` : "";
    const messages = MessageListSchema.safeParse(
      await this.#getJson(`/channels/${encodeURIComponent(channelId)}/messages${search}`),
    );
    if (!messages.success)
      throw new Error("Discord answered channel messages with something other than a list");
    return messages.data;
  }

  /** Asks for upload slots for files about to be attached (§1.5 step 1). */
  async attachmentSlots(channelId: string, body: object): Promise<AttachmentSlot[]> {
    const answer = AttachmentSlotsSchema.safeParse(
      await this.#json("POST", `/channels/${encodeURIComponent(channelId)}/attachments`, body),
    );
    if (!answer.success) throw new Error("Discord answered the upload-slot request in an unknown shape");
    return answer.data.attachments;
  }

  /**
   * PUTs a file's bytes to the upload slot's URL (§1.5 step 2). The URL is a storage host's, not
   * Discord's API: the account's token is not sent there.
   */
  async uploadFile(uploadUrl: string, bytes: Buffer, contentType: string): Promise<void> {
    const url = new URL(uploadUrl);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("upload URL must be http(s)");
    const res = await request(url, {
      method: "PUT",
      headers: { "content-type": contentType, "user-agent": this.#userAgent },
      body: bytes,
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
      signal: AbortSignal.timeout(this.#timeoutMs),
      ...(this.#dispatcher ? { dispatcher: this.#dispatcher } : {}),
    });
    const { text } = await readBounded(res.body, INTERACTION_BODY_LIMIT);
    if (res.statusCode < 200 || res.statusCode >= 300) {
      throw new Error(
        `upload refused with ${res.statusCode}: ${redactToken(text.slice(0, 200), this.#token)}`,
      );
    }
  }

  /** `POST /channels/:id/messages`: posts uploaded files to get their CDN URLs (§1.5). */
  async postMessage(channelId: string, body: object): Promise<unknown> {
    return this.#json("POST", `/channels/${encodeURIComponent(channelId)}/messages`, body);
  }

  /** Opens (or finds) the direct-message channel with a user, e.g. the Midjourney bot (for /show and seeds). */
  async openDm(recipientId: string): Promise<string> {
    const channel = ChannelSchema.safeParse(
      await this.#json("POST", "/users/@me/channels", { recipients: [recipientId] }),
    );
    if (!channel.success) throw new Error("Discord answered the DM request in an unknown shape");
    return channel.data.id;
  }

  /** Reacts to a message with a unicode emoji as the account. */
  async addReaction(channelId: string, messageId: string, emoji: string): Promise<void> {
    await this.#json(
      "PUT",
      `/channels/${encodeURIComponent(channelId)}/messages/${encodeURIComponent(messageId)}/reactions/${encodeURIComponent(emoji)}/%40me`,
    );
  }

  /**
   * POSTs JSON to an absolute URL outside the API (Midjourney's activity host for Vary Region, §1.4).
   * Never throws for an answer: the caller reads the result.
   */
  async postExternal(url: string, body: object): Promise<InteractionResult> {
    let res: RawResponse;
    try {
      res = await this.#call("POST", url, INTERACTION_BODY_LIMIT, body, { absolute: true });
    } catch (err) {
      return { kind: "server_error", status: 0, message: safeErrorMessage(err, this.#token) };
    }
    return this.#classify("POST", res);
  }

  [inspect.custom](): string {
    return `DiscordRest { apiUrl: ${this.#apiUrl} }`;
  }

  toJSON(): object {
    return { apiUrl: this.#apiUrl };
  }

  #getJson(path: string): Promise<unknown> {
    return this.#json("GET", path);
  }

  /** A JSON call that must answer 2xx; 204 reads as null. */
  async #json(method: "GET" | "POST" | "PUT", path: string, body?: object): Promise<unknown> {
    let res: RawResponse;
    try {
      res = await this.#call(method, path, JSON_BODY_LIMIT, body);
    } catch (err) {
      throw new DiscordRestError({
        kind: "server_error",
        status: 0,
        message: safeErrorMessage(err, this.#token),
      });
    }
    const result = this.#classify(method, res);
    if (result.kind !== "ok") throw new DiscordRestError(result);
    if (res.truncated)
      throw new Error(`Discord answer to ${method} ${path} exceeds ${JSON_BODY_LIMIT} bytes`);
    if (res.text === "") return null;
    try {
      return JSON.parse(res.text);
    } catch {
      throw new Error(`Discord answered ${method} ${path} with invalid JSON`);
    }
  }

  async #call(
    method: "GET" | "POST" | "PUT",
    path: string,
    limit: number,
    body?: object,
    options: { absolute?: boolean } = {},
  ): Promise<RawResponse> {
    // The token goes to Discord's API only, never to another host.
    const headers: Record<string, string> = {
      ...(options.absolute ? {} : { authorization: this.#token }),
      "user-agent": this.#userAgent,
      "x-super-properties": this.#superProperties,
      "x-discord-locale": "en-US",
      accept: "application/json",
    };
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await request(options.absolute ? path : `${this.#apiUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? null : JSON.stringify(body),
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
      signal: AbortSignal.timeout(this.#timeoutMs),
      ...(this.#dispatcher ? { dispatcher: this.#dispatcher } : {}),
    });
    const { text, truncated } = await readBounded(res.body, limit);
    return { status: res.statusCode, headers: res.headers, text, truncated };
  }

  #classify(method: string, res: RawResponse): InteractionResult {
    const result = this.#redactResult(classifyResponse(res.status, res.headers, res.text));
    this.emit("answer", { method, kind: result.kind, status: res.status });
    return result;
  }

  #redactResult(result: InteractionResult): InteractionResult {
    return "message" in result ? { ...result, message: redactToken(result.message, this.#token) } : result;
  }
}

/** Reads at most `limit` bytes, then drops the rest of the body. */
async function readBounded(
  body: AsyncIterable<Buffer> & { destroy(): void },
  limit: number,
): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const room = limit - size;
    if (chunk.length > room) {
      chunks.push(chunk.subarray(0, room));
      body.destroy();
      return { text: Buffer.concat(chunks).toString("utf8"), truncated: true };
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return { text: Buffer.concat(chunks).toString("utf8"), truncated: false };
}

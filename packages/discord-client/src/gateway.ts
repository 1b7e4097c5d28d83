import { EventEmitter } from "node:events";
import { inspect } from "node:util";
import { type Logger, pino } from "pino";
import WebSocket from "ws";
import { GatewayFrameSchema, GatewayOp, HelloSchema, ReadySchema } from "./gateway-frames.js";
import {
  closeAction,
  defaultInvalidSessionDelayMs,
  defaultReconnectDelayMs,
  isReplayedDispatch,
  MAX_CLIENT_FRAME_BYTES,
  resumeUrl,
} from "./gateway-rules.js";
import { DEFAULT_IDENTIFY_PROPERTIES, identifyFrame, resumeFrame } from "./identify.js";
import { redactToken, safeErrorMessage } from "./redact.js";

export type GatewayState =
  | "idle"
  | "connecting"
  | "identifying"
  | "resuming"
  | "ready"
  | "reconnecting"
  | "closed"
  | "fatal";

export interface GatewayOptions {
  /** User token, sent without any prefix (discord-protocol.md §3.3). Never logged. */
  token: string;
  /** `DISCORD_GATEWAY_URL`, e.g. `wss://gateway.discord.gg/?encoding=json&v=9`. */
  url: string;
  /** Child logger; the token is never handed to it. @defaultValue a silent logger */
  logger?: Logger;
  /** The identify `properties` object. @defaultValue {@link DEFAULT_IDENTIFY_PROPERTIES} (Chrome, §3.3) */
  identifyProperties?: object;
  /** Wait before reconnect attempt `attempt` (1-based). @defaultValue backoff with jitter, 1 s → 30 s cap */
  reconnectDelayMs?: (attempt: number) => number;
  /** Wait after op 9 Invalid Session. @defaultValue random 1–5 s, as Discord asks (§3.5) */
  invalidSessionDelayMs?: () => number;
  /** Give up on a socket that sends no Hello, or no READY / RESUMED after it, within this time. @defaultValue 30000 */
  handshakeTimeoutMs?: number;
}

export interface GatewayFatal {
  code: number;
  reason: string;
}

export interface GatewayReconnect {
  attempt: number;
  resume: boolean;
}

/** Rejection of {@link GatewayClient.connect} when Discord refuses the session for good (4004, 4010–4014). */
export class GatewayFatalError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super(`gateway closed with fatal code ${code}${reason ? `: ${reason}` : ""}`);
    this.name = "GatewayFatalError";
  }
}

type SessionMode = "identify" | "resume";

interface Connection {
  ws: WebSocket;
  mode: SessionMode;
  /** Whether op 11 arrived since the last heartbeat we sent (§3.2). */
  acked: boolean;
  heartbeatTimer: NodeJS.Timeout | null;
  /** Bounds the wait for Hello, then for READY / RESUMED. */
  handshakeTimer: NodeJS.Timeout | null;
}

/** Close codes we use ourselves: 1000 ends the session, 4000 keeps it resumable (§3.5). */
const CLOSE_INVALIDATE = 1000;
const CLOSE_KEEP_SESSION = 4000;
/** Reconnect attempts on `resume_gateway_url` before resuming on the original URL instead. */
const RESUME_HOST_ATTEMPTS = 3;

/**
 * One user-account gateway connection (discord-protocol.md §3): identify, heartbeats with ACK
 * tracking, resume after drops / op 7 / op 9 true, fresh identify after op 9 false / 4007 / 4009,
 * and a permanent stop on 4004 and 4010–4014.
 *
 * Events: `ready` (d), `resumed`, `dispatch` (t, d, s) for every new dispatch (READY and RESUMED
 * included), `state` (GatewayState), `fatal` ({code, reason}), `reconnect` ({attempt, resume}).
 */
export class GatewayClient extends EventEmitter {
  readonly #token: string;
  readonly #url: string;
  readonly #log: Logger;
  readonly #properties: object;
  readonly #reconnectDelayMs: (attempt: number) => number;
  readonly #invalidSessionDelayMs: () => number;
  readonly #handshakeTimeoutMs: number;

  #state: GatewayState = "idle";
  #sessionId: string | null = null;
  #resumeGatewayUrl: string | null = null;
  #userId: string | null = null;
  #seq: number | null = null;
  #conn: Connection | null = null;
  #attempt = 0;
  #reconnectTimer: NodeJS.Timeout | null = null;
  #fatal: GatewayFatal | null = null;
  #waiter: { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void } | null = null;

  constructor(opts: GatewayOptions) {
    super();
    if (!opts.token) throw new Error("GatewayClient: token is required");
    const url = new URL(opts.url);
    if (url.protocol !== "ws:" && url.protocol !== "wss:") {
      throw new Error(`GatewayClient: url must be ws:// or wss://, got ${url.protocol}`);
    }
    this.#log = opts.logger ?? pino({ level: "silent" });
    if (url.searchParams.has("compress")) {
      // Transport compression is optional (§3.1); plain JSON frames keep the client simple.
      url.searchParams.delete("compress");
      this.#log.warn("gateway transport compression is not supported; connecting without it");
    }
    this.#token = opts.token;
    this.#url = url.toString();
    this.#properties = opts.identifyProperties ?? DEFAULT_IDENTIFY_PROPERTIES;
    this.#reconnectDelayMs = opts.reconnectDelayMs ?? ((attempt) => defaultReconnectDelayMs(attempt));
    this.#invalidSessionDelayMs = opts.invalidSessionDelayMs ?? (() => defaultInvalidSessionDelayMs());
    this.#handshakeTimeoutMs = opts.handshakeTimeoutMs ?? 30_000;
  }

  get state(): GatewayState {
    return this.#state;
  }
  get sessionId(): string | null {
    return this.#sessionId;
  }
  get userId(): string | null {
    return this.#userId;
  }
  get seq(): number | null {
    return this.#seq;
  }

  /**
   * Opens the connection. Resolves once the session is ready (READY, or RESUMED after
   * {@link closeKeepSession}); rejects on a fatal close before that, or if closed meanwhile.
   * Network failures are retried with backoff and do not reject.
   */
  connect(): Promise<void> {
    if (this.#state === "fatal" && this.#fatal) {
      return Promise.reject(new GatewayFatalError(this.#fatal.code, this.#fatal.reason));
    }
    if (this.#state === "ready") return Promise.resolve();
    if (!this.#waiter) {
      let resolve!: () => void;
      let reject!: (err: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.#waiter = { promise, resolve, reject };
    }
    if (this.#state === "idle" || this.#state === "closed") {
      this.#attempt = 0;
      this.#open(this.#sessionId ? "resume" : "identify");
    }
    return this.#waiter.promise;
  }

  /** Graceful close with 1000: Discord ends the session (§3.5). */
  close(): Promise<void> {
    this.#sessionId = null;
    this.#resumeGatewayUrl = null;
    this.#seq = null;
    return this.#shutdown(CLOSE_INVALIDATE);
  }

  /** Close with 4000 so that the session stays resumable for a few minutes (§3.5); `connect()` resumes it. */
  closeKeepSession(): Promise<void> {
    return this.#shutdown(CLOSE_KEEP_SESSION);
  }

  [inspect.custom](): string {
    return `GatewayClient { state: ${this.#state}, userId: ${this.#userId}, seq: ${this.#seq} }`;
  }

  toJSON(): object {
    return { state: this.#state, sessionId: this.#sessionId, userId: this.#userId, seq: this.#seq };
  }

  #setState(next: GatewayState): void {
    if (this.#state === next) return;
    this.#state = next;
    this.#log.debug({ state: next }, "gateway state");
    this.emit("state", next);
  }

  #open(mode: SessionMode): void {
    if (mode === "identify") {
      // A new session numbers its dispatches from 1 again.
      this.#sessionId = null;
      this.#resumeGatewayUrl = null;
      this.#seq = null;
    }
    // After a few failed tries the regional resume host may be gone; the main gateway also takes op 6.
    const useResumeHost = mode === "resume" && this.#attempt < RESUME_HOST_ATTEMPTS;
    const url = useResumeHost ? resumeUrl(this.#resumeGatewayUrl, this.#url) : this.#url;
    this.#setState("connecting");
    this.#log.debug({ url, mode }, "gateway connecting");
    const ws = new WebSocket(url, { handshakeTimeout: 15_000, perMessageDeflate: false });
    const conn: Connection = { ws, mode, acked: true, heartbeatTimer: null, handshakeTimer: null };
    this.#conn = conn;
    this.#armHandshakeTimer(conn, "hello");
    ws.on("message", (data: WebSocket.RawData) => {
      if (this.#conn === conn) this.#onMessage(conn, data);
    });
    ws.on("close", (code: number, reason: Buffer) => {
      if (this.#conn === conn) this.#onClose(conn, code, redactToken(reason.toString("utf8"), this.#token));
    });
    ws.on("error", (err: Error) => {
      // A close event always follows; only note why.
      const level = this.#conn === conn ? "warn" : "debug";
      this.#log[level]({ error: safeErrorMessage(err, this.#token) }, "gateway socket error");
    });
  }

  #armHandshakeTimer(conn: Connection, awaiting: "hello" | "session"): void {
    if (conn.handshakeTimer) clearTimeout(conn.handshakeTimer);
    conn.handshakeTimer = setTimeout(() => {
      if (this.#conn !== conn) return;
      this.#log.warn({ awaiting }, "gateway handshake stalled; reconnecting");
      this.#reconnect(conn, conn.mode === "resume");
    }, this.#handshakeTimeoutMs);
  }

  #onMessage(conn: Connection, data: WebSocket.RawData): void {
    let raw: unknown;
    try {
      raw = JSON.parse(rawDataText(data));
    } catch {
      this.#log.warn("gateway frame is not JSON; ignored");
      return;
    }
    const parsed = GatewayFrameSchema.safeParse(raw);
    if (!parsed.success) {
      this.#log.warn("gateway frame without a numeric op; ignored");
      return;
    }
    const frame = parsed.data;
    switch (frame.op) {
      case GatewayOp.Hello:
        this.#onHello(conn, frame.d);
        return;
      case GatewayOp.HeartbeatAck:
        conn.acked = true;
        return;
      case GatewayOp.Heartbeat:
        // The server asks for a heartbeat now (§3.2).
        this.#send(conn, { op: GatewayOp.Heartbeat, d: this.#seq });
        return;
      case GatewayOp.Reconnect:
        this.#log.info("gateway asked to reconnect (op 7)");
        this.#reconnect(conn, true);
        return;
      case GatewayOp.InvalidSession: {
        const resumable = frame.d === true && this.#sessionId !== null;
        this.#log.warn({ resumable }, "gateway invalid session (op 9)");
        this.#reconnect(conn, resumable, this.#invalidSessionDelayMs());
        return;
      }
      case GatewayOp.Dispatch:
        this.#onDispatch(frame.t ?? "", frame.d, frame.s ?? null);
        return;
      default:
        this.#log.debug({ op: frame.op }, "gateway op ignored");
    }
  }

  #onHello(conn: Connection, d: unknown): void {
    const hello = HelloSchema.safeParse(d);
    const interval = hello.success ? hello.data.heartbeat_interval : 41_250;
    this.#startHeartbeat(conn, interval);
    if (conn.mode === "resume" && this.#sessionId) {
      this.#setState("resuming");
      this.#send(conn, resumeFrame(this.#token, this.#sessionId, this.#seq));
    } else {
      this.#setState("identifying");
      this.#send(conn, identifyFrame(this.#token, this.#properties));
    }
    this.#armHandshakeTimer(conn, "session");
  }

  #startHeartbeat(conn: Connection, intervalMs: number): void {
    conn.acked = true;
    const beat = () => {
      if (this.#conn !== conn) return;
      if (!conn.acked) {
        // A zombie connection: close with a non-1000 code and resume (§3.2).
        this.#log.warn("gateway heartbeat not acknowledged; resuming on a new connection");
        this.#reconnect(conn, true);
        return;
      }
      conn.acked = false;
      this.#send(conn, { op: GatewayOp.Heartbeat, d: this.#seq });
      conn.heartbeatTimer = setTimeout(beat, intervalMs);
    };
    // First beat after interval * random, then every interval (§3.2).
    conn.heartbeatTimer = setTimeout(beat, intervalMs * Math.random());
  }

  #onDispatch(t: string, d: unknown, s: number | null): void {
    if (isReplayedDispatch(this.#seq, s)) {
      this.#log.debug({ t, s }, "gateway dispatch already seen; skipped");
      return;
    }
    if (s !== null) this.#seq = s;
    if (t === "READY") {
      const ready = ReadySchema.safeParse(d);
      if (ready.success) {
        this.#sessionId = ready.data.session_id;
        this.#resumeGatewayUrl = ready.data.resume_gateway_url ?? null;
        this.#userId = ready.data.user?.id ?? null;
      } else {
        this.#log.error("gateway READY without a session_id; the session cannot be resumed");
      }
      this.#sessionReady();
      this.#log.info({ userId: this.#userId }, "gateway ready");
      this.emit("ready", d);
      this.#settle();
    } else if (t === "RESUMED") {
      this.#sessionReady();
      this.#log.info({ seq: this.#seq }, "gateway resumed");
      this.emit("resumed");
      this.#settle();
    }
    this.emit("dispatch", t, d, s);
  }

  #onClose(conn: Connection, code: number, reason: string): void {
    this.#stopTimers(conn);
    this.#conn = null;
    const action = closeAction(code);
    if (action === "fatal") {
      this.#fatal = { code, reason };
      this.#log.error({ code, reason }, "gateway closed for good; not reconnecting");
      this.#setState("fatal");
      this.emit("fatal", { code, reason });
      this.#settle(new GatewayFatalError(code, reason));
      return;
    }
    this.#log.warn({ code, reason }, "gateway connection closed");
    if (action === "identify") this.#sessionId = null;
    this.#scheduleOpen(this.#sessionId ? "resume" : "identify");
  }

  /** Leaves `conn` (closing it with 4000 so the session survives) and opens a new one. */
  #reconnect(conn: Connection, resume: boolean, delayMs?: number): void {
    this.#detach(conn, CLOSE_KEEP_SESSION);
    if (!resume) this.#sessionId = null;
    this.#scheduleOpen(resume && this.#sessionId ? "resume" : "identify", delayMs);
  }

  #scheduleOpen(mode: SessionMode, delayMs?: number): void {
    this.#attempt += 1;
    const attempt = this.#attempt;
    const delay = Math.max(0, delayMs ?? this.#reconnectDelayMs(attempt));
    this.#setState("reconnecting");
    this.#log.info({ attempt, resume: mode === "resume", delayMs: delay }, "gateway reconnecting");
    this.emit("reconnect", { attempt, resume: mode === "resume" } satisfies GatewayReconnect);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      this.#open(mode);
    }, delay);
  }

  #detach(conn: Connection, code: number): void {
    this.#stopTimers(conn);
    if (this.#conn === conn) this.#conn = null;
    const { ws } = conn;
    if (ws.readyState === WebSocket.CONNECTING) {
      ws.terminate();
      return;
    }
    if (ws.readyState === WebSocket.OPEN) ws.close(code);
    // A dead peer never completes the closing handshake.
    setTimeout(() => ws.terminate(), 2_000).unref();
  }

  #stopTimers(conn: Connection): void {
    if (conn.heartbeatTimer) clearTimeout(conn.heartbeatTimer);
    if (conn.handshakeTimer) clearTimeout(conn.handshakeTimer);
    conn.heartbeatTimer = null;
    conn.handshakeTimer = null;
  }

  #send(conn: Connection, payload: object): boolean {
    const text = JSON.stringify(payload);
    if (Buffer.byteLength(text) > MAX_CLIENT_FRAME_BYTES) {
      // Discord would close with 4002 (§3.2); refuse instead, without echoing the payload.
      this.#log.error({ bytes: Buffer.byteLength(text) }, "gateway frame too large; not sent");
      return false;
    }
    if (conn.ws.readyState !== WebSocket.OPEN) return false;
    conn.ws.send(text);
    return true;
  }

  #sessionReady(): void {
    this.#attempt = 0;
    const conn = this.#conn;
    if (conn?.handshakeTimer) clearTimeout(conn.handshakeTimer);
    if (conn) conn.handshakeTimer = null;
    this.#setState("ready");
  }

  #settle(err?: Error): void {
    const waiter = this.#waiter;
    if (!waiter) return;
    this.#waiter = null;
    if (err) waiter.reject(err);
    else waiter.resolve();
  }

  async #shutdown(code: number): Promise<void> {
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    const conn = this.#conn;
    this.#conn = null;
    if (this.#state !== "fatal") this.#setState("closed");
    this.#settle(new Error("gateway closed before the session was ready"));
    if (!conn) return;
    this.#stopTimers(conn);
    const { ws } = conn;
    if (ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 3_000);
      ws.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else if (ws.readyState === WebSocket.OPEN) ws.close(code);
    });
  }
}

function rawDataText(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.from(data).toString("utf8");
}

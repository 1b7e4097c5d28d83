import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import { userObject } from "./discord-objects.js";
import { createRng, type Rng, randomHex } from "./rng.js";
import type { GatewayStats, LoggerLike, SimAccount } from "./types.js";

/** Discord gateway (discord-protocol.md §3): hello, identify/resume, READY, dispatch with seq, heartbeats. */

interface Frame {
  s: number;
  text: string;
}

interface Session {
  id: string;
  account: SimAccount;
  seq: number;
  /** Last dispatches, for replay on resume (ring of `resumeBufferSize`). */
  buffer: Frame[];
  conn: Connection | null;
  detachedAt: number;
}

interface Connection {
  ws: WebSocket;
  session: Session | null;
  lastBeat: number;
  openedAt: number;
}

export interface GatewayOptions {
  heartbeatIntervalMs: number;
  resumeBufferSize: number;
  resumeUrl: () => string;
  accountByToken: (token: string) => SimAccount | undefined;
  logger: LoggerLike;
  seed: number;
}

const TRACE = JSON.stringify(['["gateway-prd-us-east1-b-sim",{"micros":0.0}]']);
const ACK = '{"t":null,"s":null,"op":11,"d":null}';
/** Sessions that nobody resumes are forgotten after this long. */
const DETACHED_TTL_MS = 180_000;
const MAX_CLIENT_FRAME = 4096;
/** Client opcodes Discord accepts (bot + user clients); anything else closes with 4001. */
const CLIENT_OPS = new Set([1, 2, 3, 4, 6, 8, 13, 14, 24, 36, 37, 38, 40, 41]);

export class Gateway {
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: 64 * 1024,
    perMessageDeflate: false,
  });
  private readonly sessions = new Map<string, Session>();
  private readonly byAccount = new Map<string, Set<Session>>();
  private readonly connections = new Set<Connection>();
  readonly stats = new Map<string, Omit<GatewayStats, "sessions">>();
  private readonly rng: Rng;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly opts: GatewayOptions) {
    this.rng = createRng(opts.seed ^ 0x6a7e);
    this.sweeper = setInterval(
      () => this.sweep(),
      Math.max(25, Math.min(5_000, opts.heartbeatIntervalMs / 4)),
    );
    this.sweeper.unref();
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req));
  }

  sessionCount(accountId: string): number {
    return this.byAccount.get(accountId)?.size ?? 0;
  }

  /** Send one dispatch to every session of the account (live ones now, detached ones on resume). */
  dispatch(account: SimAccount, t: string, d: unknown): void {
    const sessions = this.byAccount.get(account.id);
    if (!sessions || sessions.size === 0) return;
    const body = JSON.stringify(d);
    for (const session of sessions) this.push(session, t, body);
  }

  private push(session: Session, t: string, body: string): void {
    const s = ++session.seq;
    const text = `{"t":"${t}","s":${s},"op":0,"d":${body}}`;
    session.buffer.push({ s, text });
    if (session.buffer.length > this.opts.resumeBufferSize) session.buffer.shift();
    session.conn?.ws.send(text);
  }

  private count(account: SimAccount, key: keyof Omit<GatewayStats, "sessions">): void {
    let st = this.stats.get(account.id);
    if (!st) {
      st = { connects: 0, identifies: 0, resumes: 0 };
      this.stats.set(account.id, st);
    }
    st[key]++;
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const url = new URL(req.url ?? "/", "ws://sim");
    const conn: Connection = { ws, session: null, lastBeat: Date.now(), openedAt: Date.now() };
    this.connections.add(conn);
    ws.on("close", (code) => this.onClose(conn, code));
    ws.on("error", () => {});
    const version = Number(url.searchParams.get("v") ?? "9");
    const encoding = url.searchParams.get("encoding") ?? "json";
    if (encoding !== "json") {
      ws.close(4002, "Error while decoding payload.");
      return;
    }
    if (!(version >= 6 && version <= 10)) {
      ws.close(4012, "Invalid API version");
      return;
    }
    // zlib-stream transport compression is not simulated: refuse it loudly rather than send plain frames.
    if (url.searchParams.get("compress")) {
      ws.close(4002, "compress is not supported by the simulator");
      return;
    }
    ws.send(
      `{"t":null,"s":null,"op":10,"d":{"heartbeat_interval":${this.opts.heartbeatIntervalMs},"_trace":${TRACE}}}`,
    );
    ws.on("message", (data, isBinary) => this.onFrame(conn, data as Buffer, isBinary));
  }

  private onFrame(conn: Connection, data: Buffer, isBinary: boolean): void {
    if (data.length > MAX_CLIENT_FRAME) {
      conn.ws.close(4002, "Error while decoding payload.");
      return;
    }
    let payload: { op?: unknown; d?: unknown };
    try {
      payload = JSON.parse(isBinary ? data.toString("utf8") : data.toString());
    } catch {
      conn.ws.close(4002, "Error while decoding payload.");
      return;
    }
    const op = payload?.op;
    if (typeof op !== "number" || !CLIENT_OPS.has(op)) {
      conn.ws.close(4001, "Unknown opcode.");
      return;
    }
    if (op === 1) {
      conn.lastBeat = Date.now();
      conn.ws.send(ACK);
      return;
    }
    if (op === 2) {
      this.identify(conn, payload.d);
      return;
    }
    if (op === 6) {
      this.resume(conn, payload.d);
      return;
    }
    if (!conn.session) {
      conn.ws.close(4003, "Not authenticated.");
      return;
    }
    // Presence, lazy guild requests, etc. are accepted and ignored.
  }

  private identify(conn: Connection, d: unknown): void {
    if (conn.session) {
      conn.ws.close(4005, "Already authenticated.");
      return;
    }
    const token = typeof (d as { token?: unknown })?.token === "string" ? (d as { token: string }).token : "";
    const account = this.opts.accountByToken(token);
    if (!account) {
      conn.ws.close(4004, "Authentication failed.");
      return;
    }
    this.count(account, "connects");
    this.count(account, "identifies");
    const session: Session = {
      id: randomHex(this.rng, 32),
      account,
      seq: 0,
      buffer: [],
      conn,
      detachedAt: 0,
    };
    this.sessions.set(session.id, session);
    let set = this.byAccount.get(account.id);
    if (!set) {
      set = new Set();
      this.byAccount.set(account.id, set);
    }
    set.add(session);
    conn.session = session;
    const user = {
      ...userObject({ id: account.userId, username: account.username, discriminator: "0" }),
      verified: true,
      mfa_enabled: false,
      email: null,
      bot: false,
      flags: 0,
      premium_type: 0,
    };
    // Minimal user-client READY (discord-protocol.md §3.4), then READY_SUPPLEMENTAL as real clients get.
    this.push(
      session,
      "READY",
      JSON.stringify({
        v: 9,
        user,
        users: [],
        guilds: [
          {
            id: account.guildId,
            unavailable: false,
            name: `sim guild ${account.id}`,
            channels: [{ id: account.channelId, type: 0, name: "midjourney" }],
          },
        ],
        private_channels: [],
        relationships: [],
        sessions: [],
        session_id: session.id,
        session_type: "normal",
        resume_gateway_url: this.opts.resumeUrl(),
        country_code: "US",
        _trace: JSON.parse(TRACE),
      }),
    );
    this.push(
      session,
      "READY_SUPPLEMENTAL",
      JSON.stringify({
        guilds: [],
        merged_members: [],
        merged_presences: { guilds: [], friends: [] },
        lazy_private_channels: [],
      }),
    );
  }

  private resume(conn: Connection, d: unknown): void {
    if (conn.session) {
      conn.ws.close(4005, "Already authenticated.");
      return;
    }
    const { token, session_id, seq } = (d ?? {}) as { token?: unknown; session_id?: unknown; seq?: unknown };
    const account = typeof token === "string" ? this.opts.accountByToken(token) : undefined;
    if (!account) {
      conn.ws.close(4004, "Authentication failed.");
      return;
    }
    this.count(account, "connects");
    const session = typeof session_id === "string" ? this.sessions.get(session_id) : undefined;
    const lastSeq = typeof seq === "number" ? seq : -1;
    const first = session?.buffer[0]?.s ?? (session ? session.seq + 1 : 0);
    // Unknown session, someone else's, or events we no longer hold → op 9 not resumable (§3.5).
    if (
      !session ||
      session.account.id !== account.id ||
      lastSeq < 0 ||
      lastSeq > session.seq ||
      lastSeq + 1 < first
    ) {
      if (session && session.account.id === account.id) this.forget(session);
      conn.ws.send('{"t":null,"s":null,"op":9,"d":false}');
      return;
    }
    if (session.conn && session.conn !== conn) {
      const old = session.conn;
      old.session = null;
      old.ws.close(4000, "Session resumed elsewhere.");
    }
    session.conn = conn;
    session.detachedAt = 0;
    conn.session = session;
    this.count(account, "resumes");
    for (const frame of session.buffer) if (frame.s > lastSeq) conn.ws.send(frame.text);
    this.push(session, "RESUMED", JSON.stringify({ _trace: JSON.parse(TRACE) }));
  }

  private onClose(conn: Connection, code: number): void {
    this.connections.delete(conn);
    const session = conn.session;
    if (session && session.conn === conn) {
      session.conn = null;
      session.detachedAt = Date.now();
      // A close with 1000/1001 ends the session; other closes leave it resumable (§3.5).
      if (code === 1000 || code === 1001) this.forget(session);
    }
    conn.session = null;
  }

  private forget(session: Session): void {
    this.sessions.delete(session.id);
    this.byAccount.get(session.account.id)?.delete(session);
    if (session.conn) session.conn.session = null;
    session.conn = null;
  }

  private sweep(): void {
    const now = Date.now();
    // Discord closes a connection whose heartbeats stopped (§3.2); 1.5× the interval as grace.
    const limit = this.opts.heartbeatIntervalMs * 1.5;
    for (const conn of this.connections) {
      if (now - conn.lastBeat > limit) {
        const session = conn.session;
        conn.ws.close(4009, "Session timed out.");
        if (session) this.forget(session);
        this.connections.delete(conn);
      }
    }
    for (const session of this.sessions.values()) {
      if (!session.conn && session.detachedAt && now - session.detachedAt > DETACHED_TTL_MS)
        this.forget(session);
    }
  }

  private liveConnections(account: SimAccount): Connection[] {
    const out: Connection[] = [];
    for (const s of this.byAccount.get(account.id) ?? []) if (s.conn) out.push(s.conn);
    return out;
  }

  /** op 7: the client should reconnect and resume. */
  reconnect(account: SimAccount): number {
    const conns = this.liveConnections(account);
    for (const c of conns) c.ws.send('{"t":null,"s":null,"op":7,"d":null}');
    return conns.length;
  }

  /** op 9 with d = resumable; a non-resumable session is gone for good. */
  invalidateSession(account: SimAccount, resumable: boolean): number {
    const sessions = [...(this.byAccount.get(account.id) ?? [])].filter((s) => s.conn);
    for (const s of sessions) {
      s.conn!.ws.send(`{"t":null,"s":null,"op":9,"d":${resumable}}`);
      if (!resumable) this.forget(s);
    }
    return sessions.length;
  }

  /** Kill the TCP connection without a close frame; the session stays resumable. */
  dropSocket(account: SimAccount): number {
    const conns = this.liveConnections(account);
    for (const c of conns) c.ws.terminate();
    return conns.length;
  }

  closeSocket(account: SimAccount, code: number): number {
    const sessions = [...(this.byAccount.get(account.id) ?? [])].filter((s) => s.conn);
    for (const s of sessions) {
      s.conn!.ws.close(code, "Closed by the simulator.");
      // These codes end the session (§3.5, §3.6); others leave it resumable.
      if ([1000, 1001, 4004, 4007, 4009, 4010, 4011, 4012, 4013, 4014].includes(code)) this.forget(s);
    }
    return sessions.length;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    for (const c of this.connections) c.ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

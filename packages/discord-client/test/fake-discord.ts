// A small stand-in for Discord's gateway and REST, speaking the shapes of discord-protocol.md §1 and §3.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type WebSocket, WebSocketServer } from "ws";

/** `../shared/discord-fixtures` beside the repository root (common rules). */
export const FIXTURES_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "../../../../shared/discord-fixtures",
);
export const fixturesExist = existsSync(FIXTURES_DIR);
if (!fixturesExist) {
  console.warn(
    `!!! discord fixtures folder missing at ${FIXTURES_DIR}: fixture-based gateway tests are SKIPPED`,
  );
}

export interface FixtureDispatch {
  t: string;
  s: number;
  d: unknown;
}

export function loadDispatch(name: string): FixtureDispatch {
  return JSON.parse(readFileSync(join(FIXTURES_DIR, name), "utf8")) as FixtureDispatch;
}

/** gw-01 … gw-08: one whole /imagine as the gateway delivered it. */
export const IMAGINE_FIXTURES = [
  "gw-01-interaction-create-imagine.json",
  "gw-02-interaction-success-imagine.json",
  "gw-03-message-create-imagine-waiting-to-start-type20.json",
  "gw-04-message-update-imagine-progress-0pct-grid_0.json",
  "gw-05-message-update-imagine-progress-31pct.json",
  "gw-06-message-update-imagine-progress-93pct.json",
  "gw-07-message-create-imagine-final-grid-fast.json",
  "gw-08-message-delete-progress-message.json",
];

interface Frame {
  op: number;
  d: unknown;
  s?: number | null;
  t?: string | null;
}

export interface FakeConnection {
  index: number;
  ws: WebSocket;
  path: string;
  query: string;
  frames: Frame[];
  /** Close code the client sent, once the socket is closed. */
  closeCode: number | null;
  sessionId: string | null;
}

interface Session {
  id: string;
  seq: number;
  log: { t: string; d: unknown; s: number }[];
}

export const FAKE_USER_ID = "1127612768489578560";

export class FakeGateway {
  readonly connections: FakeConnection[] = [];
  readonly sessions = new Map<string, Session>();
  /** Hello's heartbeat_interval (§3.2 example value by default). */
  heartbeatInterval = 41_250;
  /** Whether heartbeats on connection `index` get an op 11 back. */
  ackWhen: (index: number) => boolean = () => true;
  /** Whether identify / resume on connection `index` gets any answer. */
  answerSessionWhen: (index: number) => boolean = () => true;
  /** Resumes replay this many already-seen dispatches too, as a careless server might. */
  replayOverlap = 0;
  current: FakeConnection | null = null;

  private constructor(
    private readonly wss: WebSocketServer,
    readonly validToken: string,
  ) {}

  static async start(validToken: string, port = 0): Promise<FakeGateway> {
    const wss = new WebSocketServer({ host: "127.0.0.1", port });
    await new Promise<void>((ok) => wss.once("listening", () => ok()));
    const gateway = new FakeGateway(wss, validToken);
    wss.on("connection", (ws, req) => gateway.onConnection(ws, req));
    return gateway;
  }

  get port(): number {
    return (this.wss.address() as AddressInfo).port;
  }

  /** What the client is configured with: the original gateway URL. */
  get url(): string {
    return `ws://127.0.0.1:${this.port}/?encoding=json&v=9`;
  }

  /** READY.resume_gateway_url: another path and no query string, like `wss://gateway-us-east1-b.discord.gg`. */
  get resumeGatewayUrl(): string {
    return this.resumeGatewayUrlOverride ?? `ws://127.0.0.1:${this.port}/resume`;
  }

  /** Set to announce a resume host that does not answer. */
  resumeGatewayUrlOverride: string | null = null;

  framesWithOp(op: number): Frame[] {
    return this.connections.flatMap((c) => c.frames.filter((f) => f.op === op));
  }

  /** Sends a dispatch on the session of the current connection, or queues it while the client is away. */
  dispatch(t: string, d: unknown, sessionId?: string): number {
    const session = this.sessions.get(sessionId ?? this.current?.sessionId ?? "");
    if (!session) throw new Error("no session to dispatch on");
    session.seq += 1;
    const entry = { t, d, s: session.seq };
    session.log.push(entry);
    const conn = this.current;
    if (conn && conn.sessionId === session.id && conn.ws.readyState === conn.ws.OPEN) {
      this.send(conn, { op: 0, ...entry });
    }
    return session.seq;
  }

  sendOp(op: number, d: unknown): void {
    if (this.current) this.send(this.current, { op, d, s: null, t: null });
  }

  /** Ends the TCP connection without a close frame. */
  drop(): void {
    this.current?.ws.terminate();
    this.current = null;
  }

  closeWith(code: number, reason: string): void {
    this.current?.ws.close(code, reason);
  }

  async stop(): Promise<void> {
    for (const c of this.connections) c.ws.terminate();
    await new Promise<void>((ok) => this.wss.close(() => ok()));
  }

  private send(conn: FakeConnection, frame: Frame): void {
    conn.ws.send(JSON.stringify({ t: null, s: null, ...frame }));
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const url = new URL(req.url ?? "/", "ws://localhost");
    const conn: FakeConnection = {
      index: this.connections.length,
      ws,
      path: url.pathname,
      query: url.search,
      frames: [],
      closeCode: null,
      sessionId: null,
    };
    this.connections.push(conn);
    this.current = conn;
    ws.on("close", (code) => {
      conn.closeCode = code;
    });
    ws.on("message", (data) => this.onFrame(conn, JSON.parse(data.toString()) as Frame));
    this.send(conn, { op: 10, d: { heartbeat_interval: this.heartbeatInterval, _trace: ["fake-gateway"] } });
  }

  private onFrame(conn: FakeConnection, frame: Frame): void {
    conn.frames.push(frame);
    const d = frame.d as Record<string, unknown> | null;
    if (frame.op === 1) {
      // The exact ACK frame of gw-09.
      if (this.ackWhen(conn.index)) conn.ws.send(JSON.stringify({ t: null, s: null, op: 11, d: null }));
    } else if ((frame.op === 2 || frame.op === 6) && !this.answerSessionWhen(conn.index)) {
      return;
    } else if (frame.op === 2) {
      if (d?.token !== this.validToken) {
        conn.ws.close(4004, "Authentication failed.");
        return;
      }
      const session: Session = { id: randomBytes(16).toString("hex"), seq: 0, log: [] };
      this.sessions.set(session.id, session);
      conn.sessionId = session.id;
      this.dispatch(
        "READY",
        {
          v: 9,
          user: { id: FAKE_USER_ID, username: "fengye", global_name: null, discriminator: "7973" },
          guilds: [],
          session_id: session.id,
          session_type: "normal",
          resume_gateway_url: this.resumeGatewayUrl,
        },
        session.id,
      );
    } else if (frame.op === 6) {
      const session = this.sessions.get(String(d?.session_id));
      if (d?.token !== this.validToken || !session) {
        this.send(conn, { op: 9, d: false });
        return;
      }
      conn.sessionId = session.id;
      const from = Number(d?.seq ?? 0) - this.replayOverlap;
      for (const entry of session.log.filter((e) => e.s > from)) this.send(conn, { op: 0, ...entry });
      // Replay, then RESUMED (§3.4).
      this.dispatch("RESUMED", { _trace: ["fake-gateway"] }, session.id);
    }
  }
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A node:http server whose answer is set per test. */
export class FakeRest {
  readonly requests: RecordedRequest[] = [];
  handler: (req: RecordedRequest, res: ServerResponse) => void = (_req, res) => {
    res.writeHead(204).end();
  };

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeRest> {
    let fake: FakeRest | null = null;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const recorded = {
          method: req.method ?? "",
          url: req.url ?? "",
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        };
        fake?.requests.push(recorded);
        fake?.handler(recorded, res);
      });
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", () => ok()));
    fake = new FakeRest(server);
    return fake;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/v9`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((ok) => this.server.close(() => ok()));
  }
}

/** Polls until `condition` holds; no timing is asserted, the timeout only bounds a broken run. */
export async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A user token of the real shape: base64(user id) . timestamp . HMAC. */
export function fakeUserToken(): string {
  return `${Buffer.from(FAKE_USER_ID).toString("base64url")}.GxYz12.${randomBytes(27).toString("base64url")}`;
}

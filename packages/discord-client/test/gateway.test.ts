import { inspect } from "node:util";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GatewayClient, GatewayFatalError, type GatewayOptions, type GatewayState } from "../src/index.js";
import {
  FAKE_USER_ID,
  FakeGateway,
  fakeUserToken,
  fixturesExist,
  IMAGINE_FIXTURES,
  loadDispatch,
  until,
} from "./fake-discord.js";

interface Seen {
  dispatches: { t: string; d: unknown; s: number | null }[];
  states: GatewayState[];
  resumed: number;
  reconnects: { attempt: number; resume: boolean }[];
  fatal: { code: number; reason: string }[];
  logs: string[];
}

let gateway: FakeGateway;
let token: string;
const clients: GatewayClient[] = [];

beforeEach(async () => {
  token = fakeUserToken();
  gateway = await FakeGateway.start(token);
});

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await gateway.stop();
});

function startClient(overrides: Partial<GatewayOptions> = {}): { client: GatewayClient; seen: Seen } {
  const seen: Seen = { dispatches: [], states: [], resumed: 0, reconnects: [], fatal: [], logs: [] };
  const logger = pino({ level: "trace" }, { write: (line: string) => seen.logs.push(line) });
  const client = new GatewayClient({
    token,
    logger,
    reconnectDelayMs: () => 20,
    invalidSessionDelayMs: () => 20,
    ...overrides,
    url: overrides.url ?? gateway.url,
  });
  client.on("dispatch", (t: string, d: unknown, s: number | null) => seen.dispatches.push({ t, d, s }));
  client.on("state", (s: GatewayState) => seen.states.push(s));
  client.on("resumed", () => {
    seen.resumed += 1;
  });
  client.on("reconnect", (r) => seen.reconnects.push(r));
  client.on("fatal", (f) => seen.fatal.push(f));
  clients.push(client);
  return { client, seen };
}

function expectNoTokenIn(seen: Seen, client: GatewayClient): void {
  const secret = token.slice(token.lastIndexOf(".") + 1);
  for (const text of [
    ...seen.logs,
    inspect(client, { showHidden: true, depth: 10 }),
    JSON.stringify(client),
  ]) {
    expect(text).not.toContain(token);
    expect(text).not.toContain(secret);
  }
}

describe("gateway session", () => {
  it("identifies as a user client with the token and no intents, then is ready", async () => {
    const { client, seen } = startClient();
    await client.connect();

    const identify = gateway.framesWithOp(2);
    expect(identify).toHaveLength(1);
    const d = identify[0]?.d as Record<string, unknown>;
    expect(d.token).toBe(token);
    expect(d).not.toHaveProperty("intents");
    expect(d.capabilities).toBe(16381);
    expect(d.compress).toBe(false);
    expect(d.properties).toMatchObject({ browser: "Chrome", os: "Mac OS X" });
    expect(client.state).toBe("ready");
    expect(client.userId).toBe(FAKE_USER_ID);
    expect(client.sessionId).toMatch(/^[0-9a-f]{32}$/);
    expect(client.seq).toBe(1);
    expect(seen.states).toEqual(["connecting", "identifying", "ready"]);
    expect(gateway.connections[0]?.query).toBe("?encoding=json&v=9");
    expectNoTokenIn(seen, client);
  });

  it("sends heartbeats with the last sequence and keeps the connection while they are acknowledged", async () => {
    gateway.heartbeatInterval = 500;
    const { client, seen } = startClient();
    await client.connect();
    await until(() => gateway.framesWithOp(1).length >= 3, "three heartbeats arrived");

    expect(gateway.framesWithOp(1).every((f) => f.d === 1)).toBe(true);
    expect(gateway.connections).toHaveLength(1);
    expect(seen.reconnects).toEqual([]);
  });

  it("resumes on a new connection when a heartbeat is not acknowledged", async () => {
    gateway.heartbeatInterval = 100;
    gateway.ackWhen = (index) => index > 0;
    const { client, seen } = startClient();
    await client.connect();
    const sessionId = client.sessionId;
    await until(() => seen.resumed === 1, "the client resumed");

    const first = gateway.connections[0];
    await until(() => first?.closeCode !== null, "the zombie connection closed");
    expect(first?.closeCode).not.toBe(1000);
    expect(first?.closeCode).not.toBe(1001);
    const resume = gateway.framesWithOp(6);
    expect(resume).toHaveLength(1);
    expect(resume[0]?.d).toEqual({ token, session_id: sessionId, seq: 1 });
    expect(gateway.connections[1]?.path).toBe("/resume");
    expect(gateway.connections[1]?.query).toBe("?encoding=json&v=9");
    expect(gateway.framesWithOp(2)).toHaveLength(1);
    expect(client.state).toBe("ready");
    expectNoTokenIn(seen, client);
  });

  it("answers a heartbeat request from the server at once", async () => {
    gateway.heartbeatInterval = 3_600_000;
    const { client } = startClient();
    await client.connect();
    const before = gateway.framesWithOp(1).length;
    gateway.sendOp(1, null);
    await until(() => gateway.framesWithOp(1).length > before, "a heartbeat answered op 1");
    expect(gateway.framesWithOp(1).at(-1)?.d).toBe(1);
  });

  it("resumes after op 7 Reconnect", async () => {
    const { client, seen } = startClient();
    await client.connect();
    const sessionId = client.sessionId;
    gateway.sendOp(7, null);
    await until(() => seen.resumed === 1, "the client resumed");

    expect(gateway.framesWithOp(6)[0]?.d).toMatchObject({ session_id: sessionId, seq: 1 });
    expect(gateway.connections[0]?.closeCode).not.toBe(1000);
    expect(seen.reconnects).toEqual([{ attempt: 1, resume: true }]);
    expect(client.sessionId).toBe(sessionId);
  });

  it("resumes after op 9 with d=true", async () => {
    const { client, seen } = startClient();
    await client.connect();
    gateway.sendOp(9, true);
    await until(() => seen.resumed === 1, "the client resumed");
    expect(gateway.framesWithOp(6)).toHaveLength(1);
    expect(gateway.framesWithOp(2)).toHaveLength(1);
  });

  it("identifies again on the original URL after op 9 with d=false", async () => {
    const { client, seen } = startClient();
    await client.connect();
    const firstSession = client.sessionId;
    gateway.sendOp(9, false);
    await until(() => gateway.framesWithOp(2).length === 2 && client.state === "ready", "a second READY");

    expect(gateway.framesWithOp(6)).toHaveLength(0);
    expect(gateway.connections[1]?.path).toBe("/");
    expect(client.sessionId).not.toBe(firstSession);
    expect(client.seq).toBe(1);
    expect(seen.reconnects).toEqual([{ attempt: 1, resume: false }]);
    expect(seen.dispatches.filter((d) => d.t === "READY")).toHaveLength(2);
  });

  it("identifies again after close 4009 (session timed out)", async () => {
    const { client } = startClient();
    await client.connect();
    gateway.closeWith(4009, "Session timed out.");
    await until(() => gateway.framesWithOp(2).length === 2 && client.state === "ready", "a second READY");
    expect(gateway.framesWithOp(6)).toHaveLength(0);
  });

  it("a bad token (4004) ends in the fatal state and is never retried", async () => {
    const { client, seen } = startClient({ token: fakeUserToken() });
    const error = await client.connect().catch((err: unknown) => err);

    expect(error).toBeInstanceOf(GatewayFatalError);
    expect((error as GatewayFatalError).code).toBe(4004);
    expect(client.state).toBe("fatal");
    expect(seen.fatal).toEqual([{ code: 4004, reason: "Authentication failed." }]);
    // Give a retry every chance to show up (the reconnect delay is 20 ms).
    await new Promise((r) => setTimeout(r, 500));
    expect(gateway.connections).toHaveLength(1);
    expect(seen.reconnects).toEqual([]);
    await expect(client.connect()).rejects.toBeInstanceOf(GatewayFatalError);
    expect(String(error)).not.toContain(token);
  });

  it("a 4004 after READY stops the client for good", async () => {
    const { client, seen } = startClient();
    await client.connect();
    gateway.closeWith(4004, "Authentication failed.");
    await until(() => client.state === "fatal", "the client is fatal");
    await new Promise((r) => setTimeout(r, 500));
    expect(gateway.connections).toHaveLength(1);
    expect(seen.fatal).toEqual([{ code: 4004, reason: "Authentication failed." }]);
  });

  it("keeps retrying while the gateway is unreachable and connects once it is back", async () => {
    const port = gateway.port;
    await gateway.stop();
    const { client, seen } = startClient({ url: `ws://127.0.0.1:${port}/?encoding=json&v=9` });
    const ready = client.connect();
    await until(() => seen.reconnects.length >= 2, "two reconnect attempts");
    expect(client.state).not.toBe("fatal");

    gateway = await FakeGateway.start(token, port);
    await ready;
    expect(client.state).toBe("ready");
    expect(seen.fatal).toEqual([]);
    expectNoTokenIn(seen, client);
  });

  it("resumes on the original URL when the announced resume host stays unreachable", async () => {
    const dead = await FakeGateway.start(token);
    const deadPort = dead.port;
    await dead.stop();
    gateway.resumeGatewayUrlOverride = `ws://127.0.0.1:${deadPort}/resume`;
    const { client, seen } = startClient();
    await client.connect();
    const sessionId = client.sessionId;
    gateway.drop();
    await until(() => seen.resumed === 1, "the client resumed");

    expect(seen.reconnects.length).toBeGreaterThanOrEqual(3);
    expect(seen.reconnects.every((r) => r.resume)).toBe(true);
    expect(gateway.connections[1]?.path).toBe("/");
    expect(gateway.framesWithOp(6)[0]?.d).toMatchObject({ session_id: sessionId, seq: 1 });
  });

  it("starts over when the gateway never answers the identify", async () => {
    gateway.answerSessionWhen = (index) => index > 0;
    const { client, seen } = startClient({ handshakeTimeoutMs: 300 });
    await client.connect();

    expect(gateway.framesWithOp(2)).toHaveLength(2);
    expect(seen.reconnects).toEqual([{ attempt: 1, resume: false }]);
    expect(client.state).toBe("ready");
  });

  it("close() ends the session with 1000; closeKeepSession() keeps it resumable", async () => {
    const { client, seen } = startClient();
    await client.connect();
    await client.closeKeepSession();
    await until(() => gateway.connections[0]?.closeCode !== null, "the server saw the close");
    expect(gateway.connections[0]?.closeCode).toBe(4000);
    expect(client.state).toBe("closed");

    await client.connect();
    expect(seen.resumed).toBe(1);
    expect(gateway.framesWithOp(6)).toHaveLength(1);

    await client.close();
    await until(() => gateway.connections[1]?.closeCode !== null, "the server saw the close");
    expect(gateway.connections[1]?.closeCode).toBe(1000);
    expect(client.sessionId).toBeNull();
  });
});

describe.skipIf(!fixturesExist)("gateway dispatches (real captured payloads)", () => {
  const imagine = fixturesExist ? IMAGINE_FIXTURES.map(loadDispatch) : [];

  it("emits each captured dispatch once with its sequence number", async () => {
    const { client, seen } = startClient();
    await client.connect();
    for (const f of imagine) gateway.dispatch(f.t, f.d);
    await until(() => seen.dispatches.length === 1 + imagine.length, "all dispatches arrived");

    expect(seen.dispatches.map((d) => d.t)).toEqual(["READY", ...imagine.map((f) => f.t)]);
    expect(seen.dispatches.map((d) => d.s)).toEqual(
      Array.from({ length: imagine.length + 1 }, (_, i) => i + 1),
    );
    expect(seen.dispatches[3]?.d).toEqual(imagine[2]?.d);
    expect(client.seq).toBe(imagine.length + 1);
  });

  it("after a drop it resumes with the last sequence and does not emit replayed events twice", async () => {
    gateway.replayOverlap = 3;
    const { client, seen } = startClient();
    await client.connect();
    const [before, after] = [imagine.slice(0, 4), imagine.slice(4)];
    for (const f of before) gateway.dispatch(f.t, f.d);
    await until(() => client.seq === 1 + before.length, "the first events arrived");

    gateway.drop();
    // Sent while the client is away: only a resume replays them.
    for (const f of after) gateway.dispatch(f.t, f.d, client.sessionId ?? "");
    await until(() => seen.resumed === 1, "the client resumed");

    expect(gateway.framesWithOp(6)[0]?.d).toEqual({
      token,
      session_id: client.sessionId,
      seq: 1 + before.length,
    });
    expect(gateway.connections[1]?.path).toBe("/resume");
    const messageEvents = seen.dispatches.filter((d) => d.t !== "READY" && d.t !== "RESUMED");
    expect(messageEvents.map((d) => d.t)).toEqual(imagine.map((f) => f.t));
    const seqs = seen.dispatches.map((d) => d.s);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seen.dispatches.at(-1)?.t).toBe("RESUMED");
    expectNoTokenIn(seen, client);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../src/index.js";
import { imagineBody, newNonce, post, TestGateway } from "./client.js";

describe("gateway", () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ logger: false, accounts: 4, heartbeatIntervalMs: 400 });
  });
  afterAll(() => sim.close());

  it("says hello, then READY with session_id, resume_gateway_url and user after identify", async () => {
    const account = sim.accounts[0]!;
    const gw = await TestGateway.identify(sim.gatewayUrl, account.token);
    const hello = gw.frames[0] as { op: number; d: { heartbeat_interval: number } };
    expect(hello.op).toBe(10);
    expect(hello.d.heartbeat_interval).toBe(400);
    const ready = gw.dispatches[0]!;
    expect(ready).toMatchObject({ t: "READY", s: 1, op: 0 });
    expect(ready.d.session_id).toMatch(/^[0-9a-f]{32}$/);
    expect(ready.d.resume_gateway_url).toBe(sim.url.replace("http", "ws"));
    expect((ready.d.user as { id: string }).id).toBe(account.userId);
    gw.send({ op: 1, d: gw.seq });
    await gw.until(() => gw.frames.some((f) => f.op === 11), 20_000, "ACK");
    expect(gw.frames.find((f) => f.op === 11)).toEqual({ t: null, s: null, op: 11, d: null });
    gw.close();
  });

  it("closes with 4004 on a bad token", async () => {
    const gw = await TestGateway.open(sim.gatewayUrl);
    gw.send({ op: 2, d: { token: "nope", properties: {} } });
    await gw.until(() => gw.closed !== null);
    expect(gw.closed!.code).toBe(4004);
  });

  it("closes a connection whose heartbeats stop", async () => {
    const gw = await TestGateway.identify(sim.gatewayUrl, sim.accounts[1]!.token);
    await gw.until(() => gw.closed !== null, 30_000, "close");
    expect(gw.closed!.code).toBe(4009);
  });

  it("resume replays the dispatches missed while disconnected, then RESUMED", async () => {
    const account = sim.accounts[2]!;
    const gw = await TestGateway.identify(sim.gatewayUrl, account.token);
    const beat = setInterval(() => gw.send({ op: 1, d: gw.seq }), 100);
    const lastSeq = gw.seq;
    sim.control.dropSocket(account);
    await gw.until(() => gw.closed !== null);
    clearInterval(beat);
    const nonce = newNonce();
    expect(
      (await post(sim.apiUrl, account.token, imagineBody(account, "missed while away", nonce))).status,
    ).toBe(204);
    // wait until the job is done on the sim side
    await waitUntil(() => sim.stats().accounts[2]!.completedJobs === 1);
    const again = await TestGateway.open(sim.gatewayUrl);
    const beat2 = setInterval(() => again.send({ op: 1, d: again.seq }), 100);
    again.send({ op: 6, d: { token: account.token, session_id: gw.sessionId, seq: lastSeq } });
    await again.waitFor((d) => d.t === "RESUMED", "RESUMED");
    clearInterval(beat2);
    const ts = again.dispatches.map((d) => d.t);
    expect(ts.slice(0, 3)).toEqual(["INTERACTION_CREATE", "INTERACTION_SUCCESS", "MESSAGE_CREATE"]);
    expect(ts.at(-2)).toBe("MESSAGE_DELETE");
    expect(again.dispatches.map((d) => d.s)).toEqual(again.dispatches.map((_, i) => lastSeq + 1 + i));
    expect(again.dispatches[0]!.d.nonce).toBe(nonce);
    expect(sim.stats().accounts[2]!.gateway.resumes).toBe(1);
    again.close();
  });

  it("answers a resume of an unknown session with op 9 (not resumable)", async () => {
    const gw = await TestGateway.open(sim.gatewayUrl);
    gw.send({ op: 6, d: { token: sim.accounts[3]!.token, session_id: "0".repeat(32), seq: 5 } });
    await gw.until(() => gw.frames.some((f) => f.op === 9));
    expect(gw.frames.find((f) => f.op === 9)!.d).toBe(false);
    gw.close();
  });

  it("sends op 7 and op 9 on demand, and closes with any code", async () => {
    const account = sim.accounts[3]!;
    const gw = await TestGateway.identify(sim.gatewayUrl, account.token);
    const beat = setInterval(() => gw.send({ op: 1, d: gw.seq }), 100);
    expect(sim.control.reconnect(account)).toBe(1);
    await gw.until(() => gw.frames.some((f) => f.op === 7));
    sim.control.invalidateSession(account.id, true);
    await gw.until(() => gw.frames.some((f) => f.op === 9));
    expect(gw.frames.find((f) => f.op === 9)!.d).toBe(true);
    sim.control.closeSocket(account.token, 4000);
    await gw.until(() => gw.closed !== null);
    clearInterval(beat);
    expect(gw.closed!.code).toBe(4000);
  });
});

async function waitUntil(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

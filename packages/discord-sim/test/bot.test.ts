import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SimAccount, type Simulator, startSimulator } from "../src/index.js";
import { buttonBody, type Dispatch, imagineBody, newNonce, post, TestGateway } from "./client.js";

interface Msg {
  id: string;
  type: number;
  flags: number;
  content: string;
  nonce?: string;
  attachments: Array<{
    url: string;
    proxy_url: string;
    size: number;
    width: number;
    height: number;
    filename: string;
  }>;
  components: Array<{ components: Array<{ custom_id?: string; style: number; label?: string }> }>;
  embeds: Array<{ title: string; color: number; footer: { text: string } }>;
  message_reference?: { message_id: string };
  referenced_message?: Msg | null;
}
const msg = (d: Dispatch) => d.d as unknown as Msg;

describe("the Midjourney bot over real sockets", () => {
  let sim: Simulator;
  const gateways = new Map<string, TestGateway>();
  beforeAll(async () => {
    sim = await startSimulator({
      logger: false,
      accounts: [{}, {}, { concurrency: 1, queueSize: 1 }, {}, {}, {}],
      bannedWords: ["forbidden"],
    });
    for (const a of sim.accounts) gateways.set(a.id, await TestGateway.identify(sim.gatewayUrl, a.token));
  });
  afterAll(async () => {
    for (const g of gateways.values()) g.close();
    await sim.close();
  });

  const imagine = async (a: SimAccount, prompt: string, nonce = newNonce()) => {
    const res = await post(sim.apiUrl, a.token, imagineBody(a, prompt, nonce));
    expect(res.status).toBe(204);
    return nonce;
  };
  const finalGrid = async (a: SimAccount, nonce: string) => {
    const gw = gateways.get(a.id)!;
    const waiting = await gw.waitFor(
      (d) => d.t === "MESSAGE_CREATE" && d.d.nonce === nonce && d.d.type === 20 && d.d.flags === 0,
    );
    await gw.waitFor((d) => d.t === "MESSAGE_DELETE" && d.d.id === waiting.d.id, "progress deleted");
    const i = gw.dispatches.findIndex((d) => d.t === "MESSAGE_DELETE" && d.d.id === waiting.d.id);
    return { waiting: msg(waiting), final: msg(gw.dispatches[i - 1]!) };
  };

  it("runs /imagine end to end: ack, waiting, progress, final grid, delete", async () => {
    const a = sim.accounts[0]!;
    const nonce = await imagine(a, "a   cat —ar 2:3 https://example.com/cat.png");
    const { waiting, final } = await finalGrid(a, nonce);
    const gw = gateways.get(a.id)!;
    const acks = gw.dispatches.filter((d) => d.t.startsWith("INTERACTION_") && d.d.nonce === nonce);
    expect(acks.map((d) => d.t)).toEqual(["INTERACTION_CREATE", "INTERACTION_SUCCESS"]);
    expect(waiting.content).toMatch(
      /^\*\*a cat --ar 2:3 <https:\/\/s\.mj\.run\/\w+>\*\* - <@\d+> \(Waiting to start\)$/,
    );
    const updates = gw.dispatches.filter((d) => d.t === "MESSAGE_UPDATE" && d.d.id === waiting.id).map(msg);
    expect(updates.map((u) => /\((\d+)%\) \(fast\)$/.exec(u.content)?.[1])).toEqual(["0", "31", "62", "93"]);
    expect(final.type).toBe(0);
    expect(final.id).not.toBe(waiting.id);
    expect(final.nonce).toBeUndefined();
    expect(final.content).toBe(waiting.content.replace("(Waiting to start)", "(fast)"));
    const ids = final.components.flatMap((r) => r.components.map((b) => b.custom_id));
    expect(ids).toHaveLength(9);
    expect(ids[0]).toMatch(/^MJ::JOB::upsample::1::[0-9a-f-]{36}$/);
    expect(final.attachments[0]!.filename).toMatch(/^simuser1_a_cat_[0-9a-f-]{36}\.png$/);
    // REST history shows the final grid (newest first) but not the deleted progress message
    const res = await fetch(`${sim.apiUrl}/channels/${a.channelId}/messages?limit=5`, {
      headers: { authorization: a.token },
    });
    const history = (await res.json()) as Msg[];
    expect(history[0]!.id).toBe(final.id);
    expect(history.some((m) => m.id === waiting.id)).toBe(false);
  });

  it("serves a real PNG for every attachment URL", async () => {
    const a = sim.accounts[0]!;
    const { final } = await finalGrid(a, await imagine(a, "png check"));
    const att = final.attachments[0]!;
    for (const url of [att.url, att.proxy_url]) {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("image/png");
      const png = Buffer.from(await res.arrayBuffer());
      expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      expect(png.subarray(12, 16).toString()).toBe("IHDR");
      expect(png.readUInt32BE(16)).toBe(att.width);
      expect(png.readUInt32BE(20)).toBe(att.height);
      expect(png.length).toBe(att.size);
    }
  });

  it("upscales, varies and rerolls from the grid's buttons", async () => {
    const a = sim.accounts[1]!;
    const gw = gateways.get(a.id)!;
    const { final: grid } = await finalGrid(a, await imagine(a, "river"));
    const button = (m: Msg, prefix: string) =>
      m.components.flatMap((r) => r.components).find((b) => b.custom_id?.startsWith(prefix))!.custom_id!;

    const nonceU = newNonce();
    expect(
      (
        await post(
          sim.apiUrl,
          a.token,
          buttonBody(a, grid.id, button(grid, "MJ::JOB::upsample::2::"), nonceU),
        )
      ).status,
    ).toBe(204);
    const eph = msg(await gw.waitFor((d) => d.t === "MESSAGE_CREATE" && d.d.nonce === nonceU));
    expect(eph).toMatchObject({
      type: 19,
      flags: 64,
      content: expect.stringMatching(/^Upscaling image #2 with \*\*river\*\*/),
    });
    expect(eph.message_reference!.message_id).toBe(grid.id);
    const upscale = msg(
      await gw.waitFor((d) => d.t === "MESSAGE_CREATE" && (d.d.content ?? "").includes("Image #2")),
    );
    expect(upscale.type).toBe(19);
    expect(upscale.content).toMatch(/^\*\*river\*\* - Image #2 <@\d+>$/);
    expect(upscale.referenced_message!.id).toBe(grid.id);
    expect(button(upscale, "MJ::JOB::high_variation::1::")).toBeTruthy();
    const edited = msg(await gw.waitFor((d) => d.t === "MESSAGE_UPDATE" && d.d.id === grid.id));
    expect(edited.components[0]!.components[1]!.style).toBe(1);

    const nonceV = newNonce();
    expect(
      (
        await post(
          sim.apiUrl,
          a.token,
          buttonBody(a, grid.id, button(grid, "MJ::JOB::variation::3::"), nonceV),
        )
      ).status,
    ).toBe(204);
    const vFinal = msg(
      await gw.waitFor(
        (d) =>
          d.t === "MESSAGE_CREATE" &&
          d.d.type === 19 &&
          /Variations \(Strong\) by <@\d+> \(fast\)$/.test(d.d.content ?? ""),
      ),
    );
    expect(vFinal.message_reference!.message_id).toBe(grid.id);
    expect(
      gw.dispatches.some(
        (d) =>
          d.t === "MESSAGE_UPDATE" &&
          / - Variations \(Strong\) by <@\d+> \(31%\) \(fast\)$/.test(d.d.content ?? ""),
      ),
    ).toBe(true);

    const nonceR = newNonce();
    expect(
      (await post(sim.apiUrl, a.token, buttonBody(a, grid.id, button(grid, "MJ::JOB::reroll::0::"), nonceR)))
        .status,
    ).toBe(204);
    const rWaiting = await gw.waitFor((d) => d.t === "MESSAGE_CREATE" && d.d.nonce === nonceR);
    await gw.waitFor((d) => d.t === "MESSAGE_DELETE" && d.d.id === rWaiting.d.id, "reroll done");
    expect(sim.stats().accounts[1]!.completedJobs).toBe(4);
  });

  it("refuses clicks on unknown messages (404) and unknown buttons (400)", async () => {
    const a = sim.accounts[1]!;
    const res = await post(
      sim.apiUrl,
      a.token,
      buttonBody(a, "1127633074377728010", "MJ::JOB::upsample::1::x", newNonce()),
    );
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: "Unknown Message", code: 10008 });
    const history = (await (
      await fetch(`${sim.apiUrl}/channels/${a.channelId}/messages?limit=1`, {
        headers: { authorization: a.token },
      })
    ).json()) as Msg[];
    const bad = await post(
      sim.apiUrl,
      a.token,
      buttonBody(a, history[0]!.id, "MJ::JOB::upsample::9::nope", newNonce()),
    );
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: number }).code).toBe(50035);
  });

  it("queues jobs beyond concurrency ('Job queued') and refuses beyond the queue ('Queue full')", async () => {
    const a = sim.accounts[2]!; // concurrency 1, queue 1
    const gw = gateways.get(a.id)!;
    sim.control.setStepDelay(50);
    const [n1, n2, n3] = [newNonce(), newNonce(), newNonce()];
    await Promise.all([imagine(a, "one", n1)]);
    await imagine(a, "two", n2);
    await imagine(a, "three", n3);
    const queued = msg(
      await gw.waitFor(
        (d) => d.t === "MESSAGE_CREATE" && d.d.nonce === n2 && (d.d.embeds as unknown[]).length > 0,
      ),
    );
    expect(queued.embeds[0]!.title).toBe("Job queued");
    const full = msg(await gw.waitFor((d) => d.t === "MESSAGE_CREATE" && d.d.nonce === n3));
    expect(full).toMatchObject({
      flags: 64,
      embeds: [{ title: "Queue full", color: 16711680, footer: { text: "/imagine three" } }],
    });
    await finalGrid(a, n2);
    sim.control.setStepDelay(0);
    expect(sim.stats().accounts[2]!.maxConcurrentJobs).toBe(1);
  });

  it("answers banned words, bad parameters and injected failures with the right embeds or texts", async () => {
    const a = sim.accounts[3]!;
    const gw = gateways.get(a.id)!;
    const reply = async (nonce: string) =>
      msg(await gw.waitFor((d) => d.t === "MESSAGE_CREATE" && d.d.nonce === nonce));
    expect((await reply(await imagine(a, "a forbidden thing"))).embeds[0]!.title).toBe(
      "Banned prompt detected",
    );
    expect((await reply(await imagine(a, "a cat --foo 3"))).embeds[0]!.title).toBe("Invalid parameter");
    expect((await reply(await imagine(a, "a cat --ar 0:0"))).embeds[0]!.title).toBe("Invalid parameter");
    for (const [kind, title] of [
      ["banned", "Banned prompt detected"],
      ["invalid-parameter", "Invalid parameter"],
      ["action-needed", "Action needed to continue"],
      ["pending-mod", "Pending mod message"],
      ["queue-full", "Queue full"],
    ] as const) {
      sim.control.failNext(a, kind);
      const m = await reply(await imagine(a, "fine prompt"));
      expect(m.flags).toBe(64);
      expect(m.embeds[0]!.title).toBe(title);
    }
    sim.control.failNext(a.token, "error");
    expect((await reply(await imagine(a, "fine"))).content).toMatch(
      /^There was an error processing your request/,
    );
    sim.control.failNext(a.id, "stop-midway");
    const stopNonce = await imagine(a, "stops");
    const waiting = await reply(stopNonce);
    await gw.waitFor(
      (d) => d.t === "MESSAGE_UPDATE" && d.d.id === waiting.id && / \(Stopped\)$/.test(d.d.content ?? ""),
      "Stopped",
    );
    sim.control.failNext(a.id, "never-finish");
    const never = await reply(await imagine(a, "never"));
    expect(never.type).toBe(20);
    expect(sim.stats().accounts[3]!.runningJobs).toBe(1);
  });

  it("returns 429 with Discord's body and headers on demand", async () => {
    const a = sim.accounts[4]!;
    sim.control.rateLimitNext(a, { retryAfter: 1.5, count: 2 });
    for (let i = 0; i < 2; i++) {
      const res = await post(sim.apiUrl, a.token, imagineBody(a, "rl", newNonce()));
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBe("2");
      expect(res.headers.get("x-ratelimit-scope")).toBe("user");
      expect(await res.json()).toEqual({
        message: "You are being rate limited.",
        retry_after: 1.5,
        global: false,
      });
    }
    expect((await post(sim.apiUrl, a.token, imagineBody(a, "rl", newNonce()))).status).toBe(204);
    sim.control.rateLimitNext("global", { retryAfter: 3 });
    const g = await post(sim.apiUrl, sim.accounts[5]!.token, imagineBody(sim.accounts[5]!, "rl", newNonce()));
    expect(g.status).toBe(429);
    expect(g.headers.get("x-ratelimit-global")).toBe("true");
    expect(((await g.json()) as { global: boolean }).global).toBe(true);
  });

  it("accepts multipart/form-data with payload_json and counts duplicate nonces", async () => {
    const a = sim.accounts[5]!;
    const nonce = newNonce();
    for (let i = 0; i < 2; i++) {
      const form = new FormData();
      form.append("payload_json", JSON.stringify(imagineBody(a, "multipart", nonce)));
      const res = await fetch(`${sim.apiUrl}/interactions`, {
        method: "POST",
        headers: { authorization: a.token },
        body: form,
      });
      expect(res.status).toBe(204);
    }
    const st = sim.stats().accounts[5]!;
    expect(st.duplicateNonces).toBe(1);
    expect(st.interactions.at(-1)).toMatchObject({
      nonce,
      type: 2,
      commandName: "imagine",
      prompt: "multipart",
    });
  });

  it("rejects bad tokens, wrong command ids and bad session ids", async () => {
    const a = sim.accounts[5]!;
    expect((await post(sim.apiUrl, "bad-token", imagineBody(a, "x", newNonce()))).status).toBe(401);
    const wrongId = imagineBody(a, "x", newNonce());
    wrongId.data.id = "1";
    expect((await post(sim.apiUrl, a.token, wrongId)).status).toBe(400);
    const badSession = imagineBody(a, "x", newNonce(), "not-hex");
    const res = await post(sim.apiUrl, a.token, badSession);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      code: 50035,
      message: "Invalid Form Body",
      errors: { session_id: {} },
    });
    const longNonce = imagineBody(a, "x", "1".repeat(26));
    expect((await post(sim.apiUrl, a.token, longNonce)).status).toBe(400);
  });

  it("exposes accounts and control over /_sim routes, and the final nonce option", async () => {
    const accounts = (await (await fetch(`${sim.url}/_sim/accounts`)).json()) as {
      apiUrl: string;
      gatewayUrl: string;
      accounts: Array<{ id: string; token: string; guildId: string; channelId: string }>;
    };
    expect(accounts.apiUrl).toBe(sim.apiUrl);
    expect(accounts.gatewayUrl).toBe(sim.gatewayUrl);
    expect(accounts.accounts[0]).toEqual({
      id: sim.accounts[0]!.id,
      token: sim.accounts[0]!.token,
      guildId: sim.accounts[0]!.guildId,
      channelId: sim.accounts[0]!.channelId,
      remix: false,
    });
    const postSim = (path: string, body: unknown) =>
      fetch(`${sim.url}/_sim/${path}`, { method: "POST", body: JSON.stringify(body) });
    expect((await postSim("final-with-nonce", { value: true })).status).toBe(200);
    const a = sim.accounts[0]!;
    const nonce = await imagine(a, "nonce on final");
    const { final } = await finalGrid(a, nonce);
    expect(final.nonce).toBe(nonce);
    expect((await postSim("final-with-nonce", { value: false })).status).toBe(200);
    expect((await postSim("fail-next", { account: a.id, kind: "banned" })).status).toBe(200);
    expect((await postSim("fail-next", { account: a.id, kind: "nonsense" })).status).toBe(400);
    const gw = gateways.get(a.id)!;
    const n = await imagine(a, "harmless");
    expect(msg(await gw.waitFor((d) => d.t === "MESSAGE_CREATE" && d.d.nonce === n)).embeds[0]!.title).toBe(
      "Banned prompt detected",
    );
    expect((await postSim("rate-limit-next", { target: a.token, retryAfter: 1 })).status).toBe(200);
    expect((await post(sim.apiUrl, a.token, imagineBody(a, "x", newNonce()))).status).toBe(429);
    expect((await postSim("reconnect", { account: a.id })).status).toBe(200);
    await gw.until(() => gw.frames.some((f) => f.op === 7));
    const stats = (await (await fetch(`${sim.url}/_sim/stats`)).json()) as {
      totals: { interactions: number };
    };
    expect(stats.totals.interactions).toBeGreaterThan(10);
  });
});

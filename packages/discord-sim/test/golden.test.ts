import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../src/index.js";
import { buttonBody, type Dispatch, imagineBody, newNonce, post, TestGateway } from "./client.js";
import { shapeDiff } from "./shape.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const fixtures = resolve(repoRoot, "../shared/discord-fixtures");
const present = existsSync(fixtures);
if (!present)
  console.warn(`\n!!! discord-fixtures folder missing at ${fixtures}: golden shape tests SKIPPED !!!\n`);

const fixture = (name: string) => JSON.parse(readFileSync(resolve(fixtures, name), "utf8"));
// Fields Discord added after the 2023 capture, or present only when a nonce was sent.
const LATER_FIELDS = new Set(["interaction_metadata", "nonce"]);

describe.skipIf(!present)("emitted payloads have the captured shapes", () => {
  let sim: Simulator;
  let gw: TestGateway;
  let imagine: Dispatch[];
  beforeAll(async () => {
    sim = await startSimulator({ logger: false });
    const account = sim.accounts[0]!;
    gw = await TestGateway.identify(sim.gatewayUrl, account.token);
    const nonce = newNonce();
    expect((await post(sim.apiUrl, account.token, imagineBody(account, "snow", nonce))).status).toBe(204);
    await gw.waitFor((d) => d.t === "MESSAGE_DELETE", "imagine done");
    imagine = [...gw.dispatches];
  });
  afterAll(async () => {
    gw.close();
    await sim.close();
  });

  const check = (file: string, actual: unknown) =>
    expect(shapeDiff(fixture(file), actual, "$", LATER_FIELDS)).toEqual([]);
  const byT = (t: string, pred: (d: Dispatch) => boolean = () => true) =>
    imagine.find((d) => d.t === t && pred(d))!;

  it("INTERACTION_CREATE / INTERACTION_SUCCESS", () => {
    check("gw-01-interaction-create-imagine.json", byT("INTERACTION_CREATE"));
    check("gw-02-interaction-success-imagine.json", byT("INTERACTION_SUCCESS"));
  });
  it("the type-20 Waiting to start message", () => {
    check(
      "gw-03-message-create-imagine-waiting-to-start-type20.json",
      byT("MESSAGE_CREATE", (d) => d.d.type === 20),
    );
  });
  it("progress updates with a preview attachment", () => {
    const updates = imagine.filter((d) => d.t === "MESSAGE_UPDATE");
    expect(updates.length).toBe(4);
    for (const u of updates) check("gw-05-message-update-imagine-progress-31pct.json", u);
    check("gw-04-message-update-imagine-progress-0pct-grid_0.json", updates[0]);
  });
  it("the final grid as a new type-0 message with U/V/reroll buttons", () => {
    check(
      "gw-07-message-create-imagine-final-grid-fast.json",
      byT("MESSAGE_CREATE", (d) => d.d.type === 0),
    );
  });
  it("MESSAGE_DELETE of the progress message", () =>
    check("gw-08-message-delete-progress-message.json", byT("MESSAGE_DELETE")));
  it("heartbeat ACK", async () => {
    gw.send({ op: 1, d: gw.seq });
    await gw.until(() => gw.frames.some((f) => f.op === 11));
    check(
      "gw-09-heartbeat-ack.json",
      gw.frames.find((f) => f.op === 11),
    );
  });
  it("the ephemeral upscale waiting message with Cancel Job", async () => {
    const account = sim.accounts[0]!;
    const grid = byT("MESSAGE_CREATE", (d) => d.d.type === 0).d as {
      id: string;
      components: Array<{ components: Array<{ custom_id: string }> }>;
    };
    const customId = grid.components[0]!.components[0]!.custom_id;
    const nonce = newNonce();
    expect(
      (await post(sim.apiUrl, account.token, buttonBody(account, grid.id, customId, nonce))).status,
    ).toBe(204);
    const waiting = await gw.waitFor((d) => d.t === "MESSAGE_CREATE" && d.d.flags === 64, "upscale waiting");
    check("gw-10-message-create-upscale-waiting-ephemeral-flags64-cancel-button.json", waiting);
    check("gw-11-message-create-zoomout-waiting-ephemeral-flags64-type19.json", waiting);
  });
  it("a command index like the captured one", async () => {
    const account = sim.accounts[0]!;
    const res = await fetch(`${sim.apiUrl}/guilds/${account.guildId}/application-command-index`, {
      headers: { authorization: account.token },
    });
    const body = (await res.json()) as { application_commands: unknown[] };
    const captured = fixture("rest-application-command-search-response-mj.json");
    expect(shapeDiff(captured.applications, (body as Record<string, unknown>).applications)).toEqual([]);
    expect(shapeDiff([captured.application_commands[0]], [body.application_commands[0]])).toEqual([]);
  });
});

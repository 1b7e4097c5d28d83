import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderImage } from "../src/images.js";
import { NIJI_APPLICATION_ID, type SimAccount, type Simulator, startSimulator } from "../src/index.js";
import { buttonBody, type Dispatch, imagineBody, newNonce, post, TestGateway } from "./client.js";

interface Btn {
  custom_id?: string;
  label?: string;
  style: number;
  url?: string;
  emoji?: { name: string };
}
interface Msg {
  id: string;
  type: number;
  flags: number;
  content: string;
  nonce?: string;
  author: { id: string };
  attachments: Array<{ url: string; width: number; height: number; size: number }>;
  components: Array<{ components: Btn[] }>;
  embeds: Array<{ description?: string; image?: { url: string }; footer?: { text: string } }>;
  interaction?: { name: string };
  interaction_metadata?: { name: string };
  message_reference?: { message_id: string };
}
const msg = (d: Dispatch) => d.d as unknown as Msg;
const buttons = (m: Msg) => m.components.flatMap((r) => r.components);
const idOf = (m: Msg, prefix: string) => buttons(m).find((b) => b.custom_id?.startsWith(prefix))!.custom_id!;
const SESSION = "0123456789abcdef0123456789abcdef";

describe("every Midjourney button, pop-up and command over real sockets", () => {
  let sim: Simulator;
  const gateways = new Map<string, TestGateway>();
  type Cmd = { id: string; version: string; name: string; application_id: string };
  let commands: Cmd[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ logger: false, accounts: [{}, {}, { remix: true }, {}, {}] });
    for (const a of sim.accounts) gateways.set(a.id, await TestGateway.identify(sim.gatewayUrl, a.token));
    const a = sim.accounts[0]!;
    const index = (await (
      await fetch(`${sim.apiUrl}/guilds/${a.guildId}/application-command-index`, {
        headers: { authorization: a.token },
      })
    ).json()) as { application_commands: Cmd[] };
    commands = index.application_commands;
  });
  afterAll(async () => {
    for (const g of gateways.values()) g.close();
    await sim.close();
  });

  const gw = (a: SimAccount) => gateways.get(a.id)!;
  const api = (a: SimAccount, path: string, init: RequestInit = {}) =>
    fetch(`${sim.apiUrl}${path}`, {
      ...init,
      headers: { authorization: a.token, "content-type": "application/json", ...(init.headers ?? {}) },
    });
  const command = (
    a: SimAccount,
    name: string,
    options: unknown[],
    opts: { nonce?: string; attachments?: unknown[]; app?: string; channelId?: string } = {},
  ) => {
    const app = opts.app ?? "936929561302675456";
    const c = commands.find((x) => x.name === name && x.application_id === app)!;
    return {
      type: 2,
      application_id: app,
      guild_id: opts.channelId ? null : a.guildId,
      channel_id: opts.channelId ?? a.channelId,
      session_id: SESSION,
      nonce: opts.nonce ?? newNonce(),
      data: { version: c.version, id: c.id, name, type: 1, options, attachments: opts.attachments ?? [] },
    };
  };
  const send = async (a: SimAccount, body: unknown, status = 204) => {
    const res = await post(sim.apiUrl, a.token, body);
    if (res.status !== status) throw new Error(`${res.status} ${await res.text()}`);
    return res;
  };
  const created = (a: SimAccount, pred: (m: Msg) => boolean, what = "message") =>
    gw(a)
      .waitFor((d) => d.t === "MESSAGE_CREATE" && pred(msg(d)), what)
      .then(msg);
  const imagineGrid = async (a: SimAccount, prompt: string) => {
    const nonce = newNonce();
    await send(a, imagineBody(a, prompt, nonce));
    const waiting = await created(a, (m) => m.nonce === nonce);
    await gw(a).waitFor((d) => d.t === "MESSAGE_DELETE" && d.d.id === waiting.id, "grid done");
    return created(
      a,
      (m) => m.type === 0 && m.content.startsWith(`**${prompt}** - `) && m.attachments.length > 0,
    );
  };
  /** Click, and wait for the job's final message (a reply to the clicked message carrying `contentPart`). */
  const click = async (
    a: SimAccount,
    source: Msg,
    customId: string,
    contentPart: string,
    nonce = newNonce(),
  ) => {
    await send(a, buttonBody(a, source.id, customId, nonce, source.flags));
    return created(
      a,
      (m) =>
        m.message_reference?.message_id === source.id && m.flags === 0 && m.content.includes(contentPart),
      contentPart,
    );
  };
  const upscale = (a: SimAccount, grid: Msg, i = 1) =>
    click(a, grid, idOf(grid, `MJ::JOB::upsample::${i}::`), `Image #${i}`);

  it("puts the upscale buttons of the prompt's model version under a U result", async () => {
    const a = sim.accounts[0]!;
    const cases: Array<[string, string[]]> = [
      ["v5 cat --v 5.2", ["upsample_v5_2x", "upsample_v5_4x"]],
      ["v6 cat --v 6", ["upsample_v6_2x_subtle", "upsample_v6_2x_creative"]],
      ["v61 cat --v 6.1", ["upsample_v6r1_2x_subtle", "upsample_v6r1_2x_creative"]],
      ["v7 cat --v 7", ["upsample_v7_2x_subtle", "upsample_v7_2x_creative"]],
      ["default cat", ["upsample_v7_2x_subtle", "upsample_v7_2x_creative"]],
      ["niji cat --niji 6", ["upsample_v6_2x_subtle", "upsample_v6_2x_creative"]],
    ];
    for (const [prompt, kinds] of cases) {
      const u = await upscale(a, await imagineGrid(a, prompt));
      const ids = buttons(u).map((b) => b.custom_id ?? b.url);
      expect(ids.slice(0, 2)).toEqual(kinds.map((k) => expect.stringContaining(`MJ::JOB::${k}::1::`)));
    }
    const u = await upscale(a, await imagineGrid(a, "v5 dog --v 5"));
    expect(buttons(u).map((b) => b.label ?? b.emoji?.name)).toEqual([
      "Upscale (2x)",
      "Upscale (4x)",
      "Vary (Strong)",
      "Vary (Subtle)",
      "Vary (Region)",
      "Zoom Out 2x",
      "Zoom Out 1.5x",
      "Custom Zoom",
      "⬅️",
      "➡️",
      "⬆️",
      "⬇️",
      "❤️",
      "Web",
    ]);
    expect(buttons(u).at(-1)).toMatchObject({
      style: 5,
      url: expect.stringMatching(/^https:\/\/www\.midjourney\.com\/app\/jobs\//),
    });
    const four = await click(a, u, idOf(u, "MJ::JOB::upsample_v5_4x::"), "Upscaled (4x) by");
    expect(four.attachments[0]!.width).toBe(1024);
  });

  it("runs every after-U button with Midjourney's content texts and larger upscales", async () => {
    const a = sim.accounts[1]!;
    const grid = await imagineGrid(a, "lighthouse");
    const u = await upscale(a, grid, 2);
    expect(u.content).toMatch(/^\*\*lighthouse\*\* - Image #2 <@\d+>$/);
    // A grid quadrant is half the grid; the U result is larger, Upscale (Subtle/Creative) larger again.
    expect(u.attachments[0]!.width).toBeGreaterThan(grid.attachments[0]!.width / 2);
    const subtle = await click(a, u, idOf(u, "MJ::JOB::upsample_v7_2x_subtle::"), "Upscaled (Subtle) by");
    expect(subtle.attachments[0]!.width).toBe(2 * u.attachments[0]!.width);
    const png = Buffer.from(await (await fetch(subtle.attachments[0]!.url)).arrayBuffer());
    expect(png.readUInt32BE(16)).toBe(subtle.attachments[0]!.width);
    await click(a, u, idOf(u, "MJ::JOB::upsample_v7_2x_creative::"), "Upscaled (Creative) by");
    await click(a, u, idOf(u, "MJ::JOB::high_variation::"), "Variations (Strong) by");
    await click(a, u, idOf(u, "MJ::JOB::low_variation::"), "Variations (Subtle) by");
    await click(a, u, idOf(u, "MJ::Outpaint::50::"), "Zoom Out by");
    await click(a, u, idOf(u, "MJ::Outpaint::75::"), "Zoom Out by");
    const left = await click(a, u, idOf(u, "MJ::JOB::pan_left::"), "Pan Left by");
    expect(left.content).toMatch(/^\*\*lighthouse\*\* - Pan Left by <@\d+> \(fast\)$/);
    await click(a, u, idOf(u, "MJ::JOB::pan_down::"), "Pan Down by");
    // No MESSAGE_UPDATE ever carries a nonce (discord-protocol.md §4.1).
    expect(gw(a).dispatches.filter((d) => d.t === "MESSAGE_UPDATE" && "nonce" in d.d)).toEqual([]);

    const completed = sim.stats().accounts[1]!.completedJobs;
    const bookmark = newNonce();
    await send(a, buttonBody(a, u.id, idOf(u, "MJ::BOOKMARK::"), bookmark));
    await gw(a).waitFor((d) => d.t === "INTERACTION_SUCCESS" && d.d.nonce === bookmark);
    await upscale(a, grid, 3);
    expect(gw(a).dispatches.some((d) => d.t === "MESSAGE_CREATE" && d.d.nonce === bookmark)).toBe(false);
    expect(sim.stats().accounts[1]!.completedJobs).toBe(completed + 1);
  });

  it("refuses a button that is not on the clicked message, and wrong message_flags, as Invalid Form Body", async () => {
    const a = sim.accounts[1]!;
    const grid = await imagineGrid(a, "strict");
    const res = await post(
      sim.apiUrl,
      a.token,
      buttonBody(a, grid.id, "MJ::JOB::upsample_v7_2x_subtle::1::x::SOLO", newNonce()),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      code: 50035,
      errors: { data: { custom_id: { _errors: [{}] } } },
    });
    const flags = await post(
      sim.apiUrl,
      a.token,
      buttonBody(a, grid.id, idOf(grid, "MJ::JOB::upsample::1::"), newNonce(), 64),
    );
    expect(flags.status).toBe(400);
    expect(await flags.json()).toMatchObject({ code: 50035, errors: { message_flags: {} } });
  });

  const modalSubmit = (a: SimAccount, modal: Record<string, unknown>, value: string, nonce = newNonce()) => {
    const field = (modal.components as Array<{ components: Array<{ custom_id: string }> }>)[0]!
      .components[0]!;
    return {
      type: 5,
      application_id: "936929561302675456",
      channel_id: a.channelId,
      guild_id: a.guildId,
      session_id: SESSION,
      nonce,
      data: {
        id: modal.id,
        custom_id: modal.custom_id,
        components: [{ type: 1, components: [{ type: 4, custom_id: field.custom_id, value }] }],
      },
    };
  };
  const modalFor = async (a: SimAccount, nonce: string) =>
    (await gw(a).waitFor((d) => d.t === "INTERACTION_MODAL_CREATE" && d.d.nonce === nonce, "modal")).d;

  it("opens Remix pop-ups on a Remix account and runs the job only once the pop-up is submitted", async () => {
    const a = sim.accounts[2]!;
    const accounts = (await (await fetch(`${sim.url}/_sim/accounts`)).json()) as {
      activityUrl: string;
      accounts: Array<{ id: string; remix: boolean }>;
    };
    expect(accounts.activityUrl).toBe(sim.activityUrl);
    expect(accounts.accounts.map((x) => x.remix)).toEqual([false, false, true, false, false]);
    const grid = await imagineGrid(a, "castle");
    const click = newNonce();
    await send(a, buttonBody(a, grid.id, idOf(grid, "MJ::JOB::variation::2::"), click));
    const modal = await modalFor(a, click);
    expect(modal).toMatchObject({
      channel_id: a.channelId,
      custom_id: expect.stringMatching(/^MJ::RemixModal::[0-9a-f-]{36}::2::1$/),
      application: { id: "936929561302675456" },
      components: [
        { type: 1, components: [{ type: 4, custom_id: "MJ::RemixModal::new_prompt", value: "castle" }] },
      ],
    });
    expect(
      gw(a)
        .dispatches.filter((d) => d.d.nonce === click)
        .map((d) => d.t),
    ).toEqual(["INTERACTION_CREATE", "INTERACTION_MODAL_CREATE"]);
    // Unknown pop-up id: Unknown interaction; right id, wrong custom id or field: Invalid Form Body.
    const unknown = await post(sim.apiUrl, a.token, {
      ...modalSubmit(a, modal, "x"),
      data: { ...modalSubmit(a, modal, "x").data, id: "1234567890123456789" },
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ message: "Unknown interaction", code: 10062 });
    const wrong = modalSubmit(a, modal, "x");
    wrong.data.custom_id = "MJ::RemixModal::nope";
    const bad = await post(sim.apiUrl, a.token, wrong);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 50035, errors: { data: { custom_id: {} } } });
    expect(sim.stats().accounts[2]!.completedJobs).toBe(1);

    const submit = newNonce();
    await send(a, modalSubmit(a, modal, "castle at night", submit));
    const waiting = await created(a, (m) => m.nonce === submit);
    expect(waiting).toMatchObject({ flags: 64, content: expect.stringContaining("**castle at night**") });
    const final = await created(a, (m) => m.message_reference?.message_id === grid.id && m.flags === 0);
    expect(final.content).toMatch(/^\*\*castle at night\*\* - Remix \(Strong\) by <@\d+> \(fast\)$/);
    // A pop-up is submitted once.
    expect((await post(sim.apiUrl, a.token, modalSubmit(a, modal, "again"))).status).toBe(404);

    // Reroll with Remix: the imagine pop-up; never submitted, no job starts.
    const reroll = newNonce();
    await send(a, buttonBody(a, grid.id, idOf(grid, "MJ::JOB::reroll::"), reroll));
    expect((await modalFor(a, reroll)).custom_id).toBe(`MJ::ImagineModal::${grid.id}`);
    expect(gw(a).dispatches.some((d) => d.t === "MESSAGE_CREATE" && d.d.nonce === reroll)).toBe(false);

    // Remix off (test hook): V runs at once.
    expect(
      (
        await fetch(`${sim.url}/_sim/remix`, {
          method: "POST",
          body: JSON.stringify({ account: a.id, remix: false }),
        })
      ).status,
    ).toBe(200);
    await click2(a, grid, "MJ::JOB::variation::1::", "Variations (Strong) by");
    sim.control.setRemix(a, true);
  });
  const click2 = (a: SimAccount, m: Msg, prefix: string, part: string) => click(a, m, idOf(m, prefix), part);

  it("always opens Custom Zoom as a pop-up and zooms with the submitted prompt", async () => {
    const a = sim.accounts[0]!;
    const u = await upscale(a, await imagineGrid(a, "zoomy"));
    const nonce = newNonce();
    await send(a, buttonBody(a, u.id, idOf(u, "MJ::CustomZoom::"), nonce));
    const modal = await modalFor(a, nonce);
    expect(modal.custom_id).toMatch(/^MJ::OutpaintCustomZoomModal::[0-9a-f-]{36}$/);
    const submit = newNonce();
    await send(a, modalSubmit(a, modal, "zoomy --zoom 1.8", submit));
    await created(
      a,
      (m) =>
        m.message_reference?.message_id === u.id && m.content.includes("**zoomy --zoom 1.8** - Zoom Out by"),
    );
    expect(gw(a).dispatches.some((d) => d.t === "MESSAGE_CREATE" && d.d.nonce === submit)).toBe(true);
  });

  it("takes Vary (Region) masks through the editor's submit-job and answers Variations (Region)", async () => {
    const a = sim.accounts[3]!;
    const u = await upscale(a, await imagineGrid(a, "garden"));
    const nonce = newNonce();
    await send(a, buttonBody(a, u.id, idOf(u, "MJ::Inpaint::1::"), nonce));
    const iframe = (
      await gw(a).waitFor((d) => d.t === "INTERACTION_IFRAME_MODAL_CREATE" && d.d.nonce === nonce)
    ).d;
    expect(iframe).toMatchObject({
      channel_id: a.channelId,
      custom_id: expect.stringMatching(/^MJ::iframe::\S+$/),
      iframe_path: expect.stringMatching(/^\/inpaint\//),
      application: { id: "936929561302675456" },
    });
    const token = (iframe.custom_id as string).slice("MJ::iframe::".length);
    const submit = (body: unknown) =>
      fetch(`${sim.activityUrl}/inpaint/api/submit-job`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const mask = renderImage({ kind: "grid", hash: "0f0f0f0f-0000-4000-8000-000000000000" });
    const ok = {
      customId: token,
      mask: mask.toString("base64"),
      prompt: "garden with a fountain",
      userId: "0",
      username: "0",
    };
    expect((await submit({ ...ok, customId: "nope" })).status).toBe(400);
    expect((await submit({ ...ok, mask: Buffer.from("not a png").toString("base64") })).status).toBe(400);
    const truncated = mask.subarray(0, mask.length - 20).toString("base64");
    expect((await submit({ ...ok, mask: truncated })).status).toBe(400);
    const res = await submit(ok);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true });
    const final = await created(
      a,
      (m) => m.message_reference?.message_id === u.id && m.content.includes("Variations (Region) by"),
    );
    expect(final.content).toMatch(
      /^\*\*garden with a fountain\*\* - Variations \(Region\) by <@\d+> \(fast\)$/,
    );
    expect(sim.masks().at(-1)).toEqual({
      accountId: a.id,
      prompt: "garden with a fountain",
      size: mask.length,
      sha256: createHash("sha256").update(mask).digest("hex"),
    });
    expect((await submit(ok)).status).toBe(400);
  });

  const upload = async (a: SimAccount, bytes: Buffer, filename = "pic.png", declared = bytes.length) => {
    const res = await api(a, `/channels/${a.channelId}/attachments`, {
      method: "POST",
      body: JSON.stringify({ files: [{ filename, file_size: declared, id: "0" }] }),
    });
    expect(res.status).toBe(200);
    const { attachments } = (await res.json()) as {
      attachments: Array<{ upload_url: string; upload_filename: string }>;
    };
    const put = await fetch(attachments[0]!.upload_url, {
      method: "PUT",
      headers: { "content-type": "image/png" },
      body: bytes,
    });
    return { put: put.status, uploadFilename: attachments[0]!.upload_filename, filename };
  };
  const png = (seed: string) =>
    renderImage({ kind: "single", hash: `${seed}-0000-4000-8000-000000000000`, index: 1 });

  it("takes uploads, checks their bytes, and posts them as messages with CDN URLs", async () => {
    const a = sim.accounts[3]!;
    const bytes = png("aaaaaaaa");
    expect((await upload(a, bytes, "a.png", bytes.length + 1)).put).toBe(400);
    expect((await upload(a, Buffer.from("hello world"), "a.txt")).put).toBe(400);
    const up = await upload(a, bytes);
    expect(up.put).toBe(200);
    expect(sim.uploads().find((u) => u.uploadFilename === up.uploadFilename)).toMatchObject({
      size: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      contentType: "image/png",
    });
    const res = await api(a, `/channels/${a.channelId}/messages`, {
      method: "POST",
      body: JSON.stringify({
        content: "",
        channel_id: a.channelId,
        type: 0,
        sticker_ids: [],
        attachments: [{ id: "0", filename: up.filename, uploaded_filename: up.uploadFilename }],
      }),
    });
    expect(res.status).toBe(200);
    const posted = (await res.json()) as Msg;
    const served = Buffer.from(await (await fetch(posted.attachments[0]!.url)).arrayBuffer());
    expect(served.equals(bytes)).toBe(true);
    const missing = await api(a, `/channels/${a.channelId}/messages`, {
      method: "POST",
      body: JSON.stringify({
        content: "",
        attachments: [{ id: "0", filename: "x.png", uploaded_filename: "nope/x.png" }],
      }),
    });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({
      code: 50035,
      errors: { attachments: { 0: { uploaded_filename: {} } } },
    });
  });

  it("describes an uploaded image, and a PicReader pop-up imagines the chosen prompt", async () => {
    const a = sim.accounts[4]!;
    const bytes = png("bbbbbbbb");
    const up = await upload(a, bytes, "sunset.png");
    const nonce = newNonce();
    const att = [{ id: "0", filename: up.filename, uploaded_filename: up.uploadFilename }];
    await send(
      a,
      command(a, "describe", [{ type: 11, name: "image", value: 0 }], { nonce, attachments: att }),
    );
    const start = await created(a, (m) => m.nonce === nonce);
    expect(start.interaction!.name).toBe("describe");
    const done = msg(await gw(a).waitFor((d) => d.t === "MESSAGE_UPDATE" && d.d.id === start.id));
    expect(done.nonce).toBeUndefined();
    expect(done.embeds[0]!.description).toMatch(/^1️⃣ .+\n\n2️⃣ .+\n\n3️⃣ .+\n\n4️⃣ .+$/);
    const image = Buffer.from(await (await fetch(done.embeds[0]!.image!.url)).arrayBuffer());
    expect(image.equals(bytes)).toBe(true);
    expect(buttons(done).map((b) => b.custom_id)).toEqual([
      "MJ::Job::PicReader::1",
      "MJ::Job::PicReader::2",
      "MJ::Job::PicReader::3",
      "MJ::Job::PicReader::4",
      "MJ::Picread::Retry",
      "MJ::Job::PicReader::all",
    ]);
    const pick = newNonce();
    await send(a, buttonBody(a, done.id, "MJ::Job::PicReader::3", pick));
    const modal = await modalFor(a, pick);
    expect(modal.custom_id).toBe("MJ::Picreader::Modal::3");
    const third = /3️⃣ (.+)/.exec(done.embeds[0]!.description!)![1]!;
    expect(
      (modal.components as Array<{ components: Array<{ value: string; custom_id: string }> }>)[0]!
        .components[0],
    ).toMatchObject({
      custom_id: "MJ::Picreader::Modal::PromptField",
      value: third,
    });
    const submit = newNonce();
    await send(a, modalSubmit(a, modal, "sunset over the sea", submit));
    const waiting = await created(a, (m) => m.nonce === submit && m.type === 20);
    expect(waiting.content).toMatch(/^\*\*sunset over the sea\*\* - <@\d+> \(Waiting to start\)$/);
    await gw(a).waitFor((d) => d.t === "MESSAGE_DELETE" && d.d.id === waiting.id);

    // Link variant, and strict checks: unknown upload, stale version.
    const link = newNonce();
    await send(
      a,
      command(a, "describe", [{ type: 3, name: "link", value: "https://example.com/dog.jpg" }], {
        nonce: link,
      }),
    );
    const linkStart = await created(a, (m) => m.nonce === link);
    const linkDone = msg(await gw(a).waitFor((d) => d.t === "MESSAGE_UPDATE" && d.d.id === linkStart.id));
    expect(linkDone.embeds[0]!.image!.url).toBe("https://example.com/dog.jpg");
    const ghost = await post(
      sim.apiUrl,
      a.token,
      command(a, "describe", [{ type: 11, name: "image", value: 0 }], {
        attachments: [{ id: "0", filename: "g.png", uploaded_filename: "x/y/g.png" }],
      }),
    );
    expect(ghost.status).toBe(400);
    expect(await ghost.json()).toMatchObject({
      code: 50035,
      errors: { data: { attachments: { 0: { uploaded_filename: {} } } } },
    });
    const stale = command(a, "describe", [{ type: 3, name: "link", value: "https://example.com/a.png" }]);
    stale.data.version = "1166847114203123795";
    const staleRes = await post(sim.apiUrl, a.token, stale);
    expect(staleRes.status).toBe(400);
    expect(await staleRes.json()).toMatchObject({ code: 50035, errors: { data: { version: {} } } });
  });

  it("blends 2-5 uploaded images into an imagine-like job", async () => {
    const a = sim.accounts[4]!;
    const ups = [
      await upload(a, png("cccccccc")),
      await upload(a, png("dddddddd")),
      await upload(a, png("eeeeeeee")),
    ];
    const att = ups.map((u, i) => ({
      id: String(i),
      filename: u.filename,
      uploaded_filename: u.uploadFilename,
    }));
    const opts = [
      { type: 11, name: "image1", value: 0 },
      { type: 11, name: "image2", value: 1 },
      { type: 11, name: "image3", value: 2 },
      { type: 3, name: "dimensions", value: "--ar 3:2" },
    ];
    const bad = await post(
      sim.apiUrl,
      a.token,
      command(a, "blend", [...opts.slice(0, 3), { type: 3, name: "dimensions", value: "--ar 9:9" }], {
        attachments: att,
      }),
    );
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ errors: { data: { options: { 3: { value: {} } } } } });
    const one = await post(
      sim.apiUrl,
      a.token,
      command(a, "blend", [opts[0]], { attachments: att.slice(0, 1) }),
    );
    expect(one.status).toBe(400);
    const nonce = newNonce();
    await send(a, command(a, "blend", opts, { nonce, attachments: att }));
    const waiting = await created(a, (m) => m.nonce === nonce);
    expect(waiting.interaction!.name).toBe("blend");
    expect(waiting.content).toMatch(
      /^\*\*<https:\/\/s\.mj\.run\/\w+> <https:\/\/s\.mj\.run\/\w+> <https:\/\/s\.mj\.run\/\w+> --ar 3:2\*\* - <@\d+> \(Waiting to start\)$/,
    );
    await gw(a).waitFor((d) => d.t === "MESSAGE_DELETE" && d.d.id === waiting.id);
  });

  it("shortens a prompt, and a PromptAnalyzer pop-up imagines the shortened prompt", async () => {
    const a = sim.accounts[0]!;
    const nonce = newNonce();
    await send(
      a,
      command(
        a,
        "shorten",
        [
          {
            type: 3,
            name: "prompt",
            value: "a very detailed painting of a red fox in a snowy forest --ar 3:2",
          },
        ],
        { nonce },
      ),
    );
    const m = await created(a, (x) => x.nonce === nonce);
    expect(m.interaction_metadata!.name).toBe("shorten");
    expect(m.embeds[0]!.footer!.text).toBe("Click on a button to imagine one of the shortened prompts");
    expect(m.embeds[0]!.description).toMatch(
      /^## Important tokens\n.+\n## Shortened prompts\n1️⃣ .+\n\n2️⃣ .+\n\n3️⃣ .+\n\n4️⃣ .+\n\n5️⃣ .+$/,
    );
    expect(buttons(m).map((b) => b.custom_id)).toEqual(
      [1, 2, 3, 4, 5].map((n) => `MJ::Job::PromptAnalyzer::${n}`),
    );
    const pick = newNonce();
    await send(a, buttonBody(a, m.id, "MJ::Job::PromptAnalyzer::2", pick));
    const modal = await modalFor(a, pick);
    expect(modal.custom_id).toBe(`MJ::ImagineModal::${m.id}`);
    const submit = newNonce();
    await send(a, modalSubmit(a, modal, "red fox in snow --ar 3:2", submit));
    const waiting = await created(a, (x) => x.nonce === submit && x.type === 20);
    await gw(a).waitFor((d) => d.t === "MESSAGE_DELETE" && d.d.id === waiting.id);
  });

  it("shows a job in the DM channel and DMs its seed for a ✉️ reaction", async () => {
    const a = sim.accounts[1]!;
    const grid = await imagineGrid(a, "seeded");
    const hash = idOf(grid, "MJ::JOB::upsample::1::").split("::")[4]!;
    const dmRes = await api(a, "/users/@me/channels", {
      method: "POST",
      body: JSON.stringify({ recipients: ["936929561302675456"] }),
    });
    expect(dmRes.status).toBe(200);
    const dm = (await dmRes.json()) as { id: string; type: number };
    expect(dm.type).toBe(1);
    const nonce = newNonce();
    await send(
      a,
      command(a, "show", [{ type: 3, name: "job_id", value: hash }], { nonce, channelId: dm.id }),
    );
    const shown = await created(a, (m) => m.nonce === nonce);
    expect(shown).toMatchObject({ channel_id: dm.id, content: grid.content, interaction: { name: "show" } });
    expect("guild_id" in shown).toBe(false);
    const react = await api(a, `/channels/${dm.id}/messages/${shown.id}/reactions/%E2%9C%89%EF%B8%8F/%40me`, {
      method: "PUT",
    });
    expect(react.status).toBe(204);
    const seed = await created(
      a,
      (m) =>
        (m as unknown as { channel_id: string }).channel_id === dm.id && m.content.startsWith("**Job ID**"),
    );
    expect(seed.content).toMatch(new RegExp(`^\\*\\*Job ID\\*\\*: ${hash}\\n\\*\\*seed\\*\\* \\d+$`));
  });

  it("answers the niji application's commands from the niji bot", async () => {
    const a = sim.accounts[3]!;
    expect(
      commands
        .filter((c) => c.application_id === NIJI_APPLICATION_ID)
        .map((c) => c.name)
        .sort(),
    ).toEqual(["blend", "describe", "imagine", "shorten", "show"]);
    const nonce = newNonce();
    await send(
      a,
      command(a, "imagine", [{ type: 3, name: "prompt", value: "fox --niji 6" }], {
        nonce,
        app: NIJI_APPLICATION_ID,
      }),
    );
    const waiting = await created(a, (m) => m.nonce === nonce);
    expect(waiting.author.id).toBe(NIJI_APPLICATION_ID);
    await gw(a).waitFor((d) => d.t === "MESSAGE_DELETE" && d.d.id === waiting.id);
    const grid = await created(a, (m) => m.type === 0 && m.content.startsWith("**fox --niji 6**"));
    expect(grid.author.id).toBe(NIJI_APPLICATION_ID);
    // Its buttons are clicked with the niji application id.
    const click = {
      ...buttonBody(a, grid.id, idOf(grid, "MJ::JOB::upsample::1::"), newNonce()),
      application_id: NIJI_APPLICATION_ID,
    };
    await send(a, click);
    const mjId = await post(
      sim.apiUrl,
      a.token,
      buttonBody(a, grid.id, idOf(grid, "MJ::JOB::upsample::2::"), newNonce()),
    );
    expect(mjId.status).toBe(400);
    // The MJ command id under the niji application is unknown.
    const wrong = command(a, "imagine", [{ type: 3, name: "prompt", value: "x" }]);
    wrong.application_id = NIJI_APPLICATION_ID;
    expect((await post(sim.apiUrl, a.token, wrong)).status).toBe(400);
  });
});

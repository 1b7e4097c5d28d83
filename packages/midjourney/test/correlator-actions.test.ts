import { describe, expect, it } from "vitest";
import {
  type CorrelationEffect,
  Correlator,
  DISCORD_EPOCH,
  nextSnowflake,
  type TaskAction,
  type TrackedJob,
} from "../src/index.js";
import {
  botMessage,
  CHANNEL,
  cdn,
  describeButtons,
  gridButtons,
  shortenButtons,
  USER,
  upscaleButtons,
} from "./factory.js";
import { fixture, hasFixtures } from "./fixtures.js";

const T0 = Date.UTC(2025, 0, 1, 12);
const H_PARENT = "11111111-1111-4111-8111-111111111111";
const H_A = "22222222-2222-4222-8222-222222222222";
const H_B = "33333333-3333-4333-8333-333333333333";

let idCounter = 0;
/** A message id minted at a given time, like Discord's. */
const idAt = (ms: number) =>
  (((BigInt(ms) - BigInt(DISCORD_EPOCH)) << 22n) | BigInt(++idCounter % 4096)).toString();

const PARENT = idAt(T0 - 60_000);

/** A click on a button of the parent message. */
function click(
  taskId: string,
  action: TaskAction,
  customId: string,
  sentAt = T0,
  prompt = "cat",
): TrackedJob {
  return { taskId, action, nonce: nextSnowflake(sentAt), prompt, parentMessageId: PARENT, customId, sentAt };
}

function command(taskId: string, action: TaskAction, prompt: string, sentAt = T0): TrackedJob {
  return { taskId, action, nonce: nextSnowflake(sentAt), prompt, sentAt };
}

const correlator = (...jobs: TrackedJob[]) => {
  const c = new Correlator({ channelId: CHANNEL, userId: USER });
  for (const job of jobs) c.track(job);
  return c;
};

const create = (c: Correlator, message: Record<string, unknown>, now = T0 + 1000) =>
  c.onDispatch("MESSAGE_CREATE", message, now);
const update = (c: Correlator, message: Record<string, unknown>, now = T0 + 2000) =>
  c.onDispatch("MESSAGE_UPDATE", message, now);

const successes = (effects: CorrelationEffect[]) =>
  effects.flatMap((e) => (e.type === "success" ? [{ taskId: e.taskId, messageId: e.result.messageId }] : []));

/** A one-image result replying to the clicked message. */
const reply = (content: string, hash: string, extra: Record<string, unknown> = {}) =>
  botMessage({
    id: idAt(T0 + 30_000),
    ref: PARENT,
    content,
    imageUrl: cdn(`user_cat_${hash}.png`),
    components: upscaleButtons(hash),
    ...extra,
  });

describe("one-image buttons end on their own result", () => {
  it("an HD upscale shows 'Upscaled (Creative) by' and its result's buttons; the subtle one gets its own", () => {
    const creative = click("hd-c", "UPSCALE_HD", `MJ::JOB::upsample_v6_2x_creative::1::${H_PARENT}::SOLO`);
    const subtle = click(
      "hd-s",
      "UPSCALE_HD",
      `MJ::JOB::upsample_v6_2x_subtle::1::${H_PARENT}::SOLO`,
      T0 + 10,
    );
    const c = correlator(creative, subtle);
    const subtleResult = reply(`**cat** - Upscaled (Subtle) by <@${USER}> (fast)`, H_B);
    const creativeResult = reply(`**cat** - Upscaled (Creative) by <@${USER}> (fast)`, H_A);
    expect(successes(create(c, subtleResult))).toEqual([{ taskId: "hd-s", messageId: subtleResult["id"] }]);
    const effects = create(c, creativeResult);
    expect(effects).toHaveLength(1);
    expect(effects[0]).toMatchObject({
      type: "success",
      taskId: "hd-c",
      result: { jobHash: H_A, imageUrl: cdn(`user_cat_${H_A}.png`), text: null, prompt: "cat" },
    });
    const buttons = effects[0]!.type === "success" ? effects[0]!.result.buttons : [];
    expect(buttons.map((b) => b.label || b.emoji)).toEqual([
      "Upscale (Subtle)",
      "Upscale (Creative)",
      "Vary (Strong)",
      "Vary (Subtle)",
      "Vary (Region)",
      "Zoom Out 2x",
      "Custom Zoom",
      "⬅️",
      "➡️",
      "❤️",
    ]);
  });

  it("Vary (Strong) and Vary (Subtle) on one image each get their own 'Variations (…) by'", () => {
    const strong = click("strong", "VARIATION", `MJ::JOB::high_variation::1::${H_PARENT}::SOLO`);
    const subtle = click("subtle", "VARIATION", `MJ::JOB::low_variation::1::${H_PARENT}::SOLO`, T0 + 10);
    const c = correlator(strong, subtle);
    const subtleGrid = reply(`**cat** - Variations (Subtle) by <@${USER}> (fast)`, H_B, {
      components: gridButtons(H_B),
    });
    const strongGrid = reply(`**cat** - Variations (Strong) by <@${USER}> (fast)`, H_A, {
      components: gridButtons(H_A),
    });
    expect(successes(create(c, subtleGrid))).toEqual([{ taskId: "subtle", messageId: subtleGrid["id"] }]);
    expect(successes(create(c, strongGrid))).toEqual([{ taskId: "strong", messageId: strongGrid["id"] }]);
  });

  it("Vary (Strong)'s 'Making variations for image #1' reply starts it, though the task has no quadrant", () => {
    const strong = click("strong", "VARIATION", `MJ::JOB::high_variation::1::${H_PARENT}::SOLO`);
    const c = correlator(strong);
    const waiting = botMessage({
      id: idAt(T0 + 1000),
      ref: PARENT,
      flags: 64,
      content: `Making variations for image #1 with prompt **cat** - <@${USER}> (Waiting to start)`,
    });
    expect(create(c, waiting)).toMatchObject([
      { type: "started", taskId: "strong", progressMessageId: waiting["id"] },
    ]);
    const progress = { ...waiting, content: `**cat** - Variations (Strong) by <@${USER}> (46%) (fast)` };
    expect(update(c, progress)).toMatchObject([{ type: "progress", taskId: "strong", progress: 46 }]);
  });

  it.skipIf(!hasFixtures)(
    "a zoom's waiting message reads like an imagine's (gw-11) and its result says 'Zoom Out by'",
    () => {
      const waiting = fixture("gw-11-message-create-zoomout-waiting-ephemeral-flags64-type19.json").d;
      const parent = (waiting["message_reference"] as { message_id: string }).message_id;
      const sentAt = Date.parse("2023-07-10T14:00:18Z");
      const zoom: TrackedJob = {
        taskId: "zoom",
        action: "ZOOM",
        nonce: "1",
        prompt: "rain",
        parentMessageId: parent,
        customId: "MJ::Outpaint::50::1::875fbd3a-ef43-4134-a4e8-cd853565cbfd::SOLO",
        sentAt,
      };
      const other = { ...command("imagine", "IMAGINE", "rain", sentAt), nonce: "2" };
      const c = new Correlator({ channelId: CHANNEL, userId: USER });
      c.track(zoom);
      c.track(other);
      expect(c.onDispatch("MESSAGE_CREATE", waiting, sentAt + 1000)).toEqual([
        { type: "started", taskId: "zoom", progressMessageId: waiting["id"] },
      ]);
      const result = botMessage({
        id: "1127962700000000000",
        ref: parent,
        content: `**rain** - Zoom Out by <@${USER}> (fast)`,
        imageUrl: cdn(`u_rain_${H_A}.png`),
        jobHash: H_A,
      });
      expect(successes(c.onDispatch("MESSAGE_CREATE", result, sentAt + 30_000))).toEqual([
        { taskId: "zoom", messageId: "1127962700000000000" },
      ]);
      expect(c.tracked().map((j) => j.taskId)).toEqual(["imagine"]);
    },
  );

  it("pans left and right on one image end on 'Pan Left by' and 'Pan Right by'", () => {
    const left = click("left", "PAN", `MJ::JOB::pan_left::1::${H_PARENT}::SOLO`);
    const right = click("right", "PAN", `MJ::JOB::pan_right::1::${H_PARENT}::SOLO`, T0 + 10);
    const c = correlator(left, right);
    const rightResult = reply(`**cat** - Pan Right by <@${USER}> (relaxed)`, H_B);
    const leftResult = reply(`**cat** - Pan Left by <@${USER}> (relaxed)`, H_A);
    expect(successes(create(c, rightResult))).toEqual([{ taskId: "right", messageId: rightResult["id"] }]);
    expect(successes(create(c, leftResult))).toEqual([{ taskId: "left", messageId: leftResult["id"] }]);
  });

  it("a reroll keeps its parent's action but still ends on the plain grid replying to the clicked one", () => {
    const reroll = click("r", "VARIATION", `MJ::JOB::reroll::0::${H_PARENT}::SOLO`);
    const strong = click("v", "VARIATION", `MJ::JOB::variation::1::${H_PARENT}`, T0 + 10);
    const c = correlator(reroll, strong);
    const grid = reply(`**cat** - <@${USER}> (fast)`, H_A, { components: gridButtons(H_A) });
    expect(successes(create(c, grid))).toEqual([{ taskId: "r", messageId: grid["id"] }]);
  });

  it("a button we do not know ends on whatever replies to the clicked message, image or not", () => {
    const unknown = click("x", "ACTION", `MJ::SomethingNew::1::${H_PARENT}::SOLO`);
    const c = correlator(unknown);
    const answer = botMessage({ id: idAt(T0 + 5000), ref: PARENT, content: `Done! <@${USER}>` });
    expect(create(c, answer)).toMatchObject([
      { type: "success", taskId: "x", result: { messageId: answer["id"], imageUrl: "", buttons: [] } },
    ]);
  });

  it("a button we do not know also ends on a message carrying its nonce", () => {
    const unknown = click("x", "ACTION", `MJ::SomethingNew::1::${H_PARENT}::SOLO`);
    const c = correlator(unknown);
    const answer = reply(`**cat** - Something by <@${USER}> (fast)`, H_A, {
      ref: undefined,
      nonce: unknown.nonce,
    });
    expect(successes(create(c, answer))).toEqual([{ taskId: "x", messageId: answer["id"] }]);
  });
});

describe("pop-ups", () => {
  it("a Remix pop-up is reported, and after the submit the job follows the submit's interaction", () => {
    const job = click("v", "VARIATION", `MJ::JOB::variation::2::${H_PARENT}`);
    const c = correlator(job);
    expect(c.onDispatch("INTERACTION_CREATE", { id: "900", nonce: job.nonce }, T0 + 100)).toEqual([
      { type: "started", taskId: "v", interactionId: "900" },
    ]);
    const modal = {
      id: "901",
      nonce: job.nonce,
      channel_id: CHANNEL,
      custom_id: `MJ::RemixModal::${H_PARENT}::2::1`,
      title: "Remix Prompt",
      components: [
        {
          type: 1,
          components: [
            { type: 4, custom_id: "MJ::RemixModal::new_prompt", label: "New prompt", value: "cat" },
          ],
        },
      ],
      application: { id: "936929561302675456" },
    };
    expect(c.onDispatch("INTERACTION_MODAL_CREATE", modal, T0 + 200)).toEqual([
      {
        type: "modal",
        taskId: "v",
        interactionId: "901",
        customId: `MJ::RemixModal::${H_PARENT}::2::1`,
        fieldCustomId: "MJ::RemixModal::new_prompt",
      },
    ]);
    // The worker submits the pop-up with a new nonce and tracks the job again, its prompt now the remix.
    const submitted: TrackedJob = {
      ...job,
      nonce: nextSnowflake(T0 + 2000),
      prompt: "red cat",
      sentAt: T0 + 2000,
    };
    c.track({ ...submitted, interactionId: "900" });
    expect(c.tracked()).toEqual([submitted]);
    // The click's late INTERACTION_SUCCESS is not the job's interaction any more.
    expect(c.onDispatch("INTERACTION_SUCCESS", { id: "900", nonce: job.nonce }, T0 + 2100)).toEqual([]);
    expect(c.onDispatch("INTERACTION_CREATE", { id: "950", nonce: submitted.nonce }, T0 + 2100)).toEqual([
      { type: "started", taskId: "v", interactionId: "950" },
    ]);
    const progress = botMessage({
      id: idAt(T0 + 3000),
      ref: PARENT,
      interactionId: "950",
      content: `**red cat** - Remix (Strong) by <@${USER}> (15%) (fast)`,
    });
    expect(create(c, progress, T0 + 3000)).toMatchObject([
      { type: "started", taskId: "v", progressMessageId: progress["id"] },
      { type: "progress", taskId: "v", progress: 15 },
    ]);
    const result = reply(`**red cat** - Remix (Strong) by <@${USER}> (fast)`, H_A, {
      components: gridButtons(H_A),
    });
    expect(successes(create(c, result))).toEqual([{ taskId: "v", messageId: result["id"] }]);
  });

  it("a pop-up whose nonce is not ours is ignored; a captcha stays an account matter", () => {
    const c = correlator(click("v", "VARIATION", `MJ::JOB::variation::2::${H_PARENT}`));
    expect(
      c.onDispatch("INTERACTION_MODAL_CREATE", { id: "1", nonce: "999", custom_id: "MJ::RemixModal::x" }, T0),
    ).toEqual([]);
    expect(
      c.onDispatch(
        "INTERACTION_IFRAME_MODAL_CREATE",
        { id: "2", custom_id: "MJ::iframe::abc", iframe_path: "/captcha/embedded/x" },
        T0,
      ),
    ).toEqual([{ type: "account", reason: "[Action required to continue] captcha", kind: "captcha" }]);
  });

  it("Vary (Region) opens its editor, and after the mask is sent ends on 'Vary (Region) by'", () => {
    const region = click("region", "VARIATION", `MJ::Inpaint::1::${H_PARENT}::SOLO`);
    const strong = click("strong", "VARIATION", `MJ::JOB::high_variation::1::${H_PARENT}::SOLO`, T0 + 10);
    const c = correlator(region, strong);
    const iframe = {
      id: "700",
      nonce: region.nonce,
      channel_id: CHANNEL,
      custom_id: "MJ::iframe::U2FsdGVkX1",
      title: "Vary (Region)",
      iframe_path: "/inpaint/index.html",
      modal_size: 2,
      application: { id: "936929561302675456" },
    };
    expect(c.onDispatch("INTERACTION_IFRAME_MODAL_CREATE", iframe, T0 + 100)).toEqual([
      { type: "iframe", taskId: "region", interactionId: "700", customId: "MJ::iframe::U2FsdGVkX1" },
    ]);
    const regionResult = reply(`**cat hat** - Vary (Region) by <@${USER}> (fast)`, H_A, {
      components: gridButtons(H_A),
    });
    const strongResult = reply(`**cat** - Variations (Strong) by <@${USER}> (fast)`, H_B, {
      components: gridButtons(H_B),
    });
    expect(successes(create(c, regionResult))).toEqual([{ taskId: "region", messageId: regionResult["id"] }]);
    expect(successes(create(c, strongResult))).toEqual([{ taskId: "strong", messageId: strongResult["id"] }]);
  });

  it("after the mask is sent, Vary (Region)'s messages still answer the click's interaction", () => {
    const region = click("region", "VARIATION", `MJ::Inpaint::1::${H_PARENT}::SOLO`);
    const c = correlator(region);
    c.onDispatch("INTERACTION_SUCCESS", { id: "710", nonce: region.nonce }, T0 + 50);
    c.onDispatch(
      "INTERACTION_IFRAME_MODAL_CREATE",
      { id: "711", nonce: region.nonce, custom_id: "MJ::iframe::t", iframe_path: "/inpaint/" },
      T0 + 100,
    );
    const result = botMessage({
      id: idAt(T0 + 40_000),
      interactionId: "710",
      content: `**cat hat** - Vary (Region) by <@${USER}> (fast)`,
      imageUrl: cdn(`u_${H_A}.png`),
      jobHash: H_A,
    });
    expect(successes(create(c, result))).toEqual([{ taskId: "region", messageId: result["id"] }]);
  });

  it("an iframe event without a nonce goes to the Vary (Region) click waiting for it", () => {
    const c = correlator(
      command("i", "IMAGINE", "dog"),
      click("region", "VARIATION", `MJ::Inpaint::1::${H_PARENT}::SOLO`),
    );
    expect(
      c.onDispatch(
        "INTERACTION_IFRAME_MODAL_CREATE",
        { id: "7", custom_id: "MJ::iframe::t", iframe_path: "/inpaint/" },
        T0,
      ),
    ).toEqual([{ type: "iframe", taskId: "region", interactionId: "7", customId: "MJ::iframe::t" }]);
  });

  it("a describe prompt sent through its pop-up runs as a new imagine, found by its prompt", () => {
    const describeMessage = PARENT;
    const job: TrackedJob = {
      taskId: "p2",
      action: "IMAGINE",
      nonce: nextSnowflake(T0),
      prompt: "a cat in the rain",
      parentMessageId: describeMessage,
      customId: "MJ::Job::PicReader::2",
      sentAt: T0,
    };
    const c = correlator(job);
    const modal = {
      id: "801",
      nonce: job.nonce,
      custom_id: "MJ::Picreader::Modal::2",
      components: [
        { type: 1, components: [{ type: 4, custom_id: "MJ::Picreader::Modal::PromptField", value: "x" }] },
      ],
    };
    expect(c.onDispatch("INTERACTION_MODAL_CREATE", modal, T0 + 100)).toMatchObject([
      { type: "modal", taskId: "p2", fieldCustomId: "MJ::Picreader::Modal::PromptField" },
    ]);
    c.track({
      ...job,
      nonce: nextSnowflake(T0 + 1000),
      prompt: "a cat in the rain --ar 5:4",
      sentAt: T0 + 1000,
    });
    const waiting = botMessage({
      id: idAt(T0 + 2000),
      content: `**a cat in the rain --ar 5:4** - <@${USER}> (Waiting to start)`,
    });
    expect(create(c, waiting, T0 + 2000)).toMatchObject([{ type: "started", taskId: "p2" }]);
    const grid = botMessage({
      id: idAt(T0 + 30_000),
      content: `**a cat in the rain --ar 5:4** - <@${USER}> (fast)`,
      imageUrl: cdn(`u_cat_${H_A}.png`),
      jobHash: H_A,
    });
    expect(successes(create(c, grid, T0 + 30_000))).toEqual([{ taskId: "p2", messageId: grid["id"] }]);
  });
});

const DESCRIPTION =
  "1️⃣ a tabby cat on a sofa, soft light --ar 4:3\n\n2️⃣ cat portrait, watercolor --ar 4:3\n\n3️⃣ a cat, minimal poster --ar 4:3\n\n4️⃣ cinematic cat --ar 4:3";
const DESCRIBED = "https://cdn.discordapp.com/ephemeral-attachments/1/2/cat.png?ex=1&is=2&hm=3";

describe("/describe", () => {
  const start = (job: TrackedJob, extra: Record<string, unknown> = {}) =>
    botMessage({
      id: idAt(T0 + 1000),
      type: 20,
      content: "",
      nonce: job.nonce,
      interactionId: "600",
      commandName: "describe",
      ...extra,
    });
  const answer = {
    type: "rich",
    description: DESCRIPTION,
    image: { url: DESCRIBED, width: 800, height: 600 },
    color: 5198940,
  };

  it("starts on the command's message and ends when that message shows the four prompts", () => {
    const job = command("d", "DESCRIBE", "");
    const c = correlator(job, command("i", "IMAGINE", "cat"));
    const message = start(job);
    expect(create(c, message)).toEqual([
      { type: "started", taskId: "d", progressMessageId: message["id"], interactionId: "600" },
    ]);
    const effects = update(c, { ...message, embeds: [answer], components: describeButtons() });
    expect(effects).toHaveLength(1);
    expect(effects[0]).toMatchObject({
      type: "success",
      taskId: "d",
      result: {
        messageId: message["id"],
        text: DESCRIPTION,
        imageUrl: DESCRIBED,
        jobHash: null,
        prompt: null,
      },
    });
    const buttons = effects[0]!.type === "success" ? effects[0]!.result.buttons : [];
    expect(buttons.map((b) => b.customId)).toEqual([
      "MJ::Job::PicReader::1",
      "MJ::Job::PicReader::2",
      "MJ::Job::PicReader::3",
      "MJ::Job::PicReader::4",
      "MJ::Picread::Retry",
      "MJ::Job::PicReader::all",
    ]);
    expect(c.tracked().map((j) => j.taskId)).toEqual(["i"]);
  });

  it("ends on a new message of the same interaction, also without nonces", () => {
    const job = command("d", "DESCRIBE", "");
    const c = correlator(job);
    expect(c.onDispatch("INTERACTION_SUCCESS", { id: "600" }, T0 + 100)).toMatchObject([{ type: "started" }]);
    const message = start(job, { nonce: undefined });
    expect(create(c, message)).toMatchObject([{ type: "started", taskId: "d" }]);
    const finished = botMessage({
      id: idAt(T0 + 9000),
      content: "",
      interactionId: "600",
      commandName: "describe",
      embeds: [answer],
      components: describeButtons(),
    });
    expect(create(c, finished, T0 + 9000)).toMatchObject([
      { type: "success", taskId: "d", result: { messageId: finished["id"], text: DESCRIPTION } },
    ]);
  });

  it("two describes at once: each answer goes to the job whose command message it updates", () => {
    const first = command("d1", "DESCRIBE", "");
    const second = command("d2", "DESCRIBE", "", T0 + 5);
    const c = correlator(first, second);
    const m1 = start(first, { interactionId: "601" });
    const m2 = start(second, { id: idAt(T0 + 1100), interactionId: "602" });
    create(c, m1);
    create(c, m2);
    expect(successes(update(c, { ...m2, embeds: [answer] }))).toEqual([
      { taskId: "d2", messageId: m2["id"] },
    ]);
    expect(successes(update(c, { ...m1, embeds: [answer] }))).toEqual([
      { taskId: "d1", messageId: m1["id"] },
    ]);
  });

  it("a bad link fails the describe with the error embed's text", () => {
    const job = command("d", "DESCRIBE", "");
    const c = correlator(job);
    const error = botMessage({
      id: idAt(T0 + 1000),
      flags: 64,
      nonce: job.nonce,
      embeds: [
        {
          type: "rich",
          title: "Invalid link",
          description: "The link could not be read.",
          color: 16711680,
          footer: { text: "/describe" },
        },
      ],
    });
    expect(create(c, error)).toEqual([
      {
        type: "failure",
        taskId: "d",
        reason: "[Invalid link] The link could not be read.",
        kind: "invalid_link",
      },
    ]);
  });

  it("🔄 on an answer makes a new answer replying to it", () => {
    const retry = click("again", "DESCRIBE", "MJ::Picread::Retry");
    const c = correlator(retry);
    const again = botMessage({
      id: idAt(T0 + 4000),
      ref: PARENT,
      content: "",
      embeds: [answer],
      components: describeButtons(),
    });
    expect(create(c, again)).toMatchObject([
      { type: "success", taskId: "again", result: { text: DESCRIPTION } },
    ]);
  });
});

describe("/shorten", () => {
  const analysis =
    "## Important tokens\ncat, neon, rain\n## Shortened prompts\n1️⃣ cat neon rain city\n\n2️⃣ cat neon rain\n\n3️⃣ cat neon\n\n4️⃣ cat\n\n5️⃣ cat";
  const embed = {
    type: "rich",
    description: analysis,
    color: 5198940,
    footer: { text: "Click on a button to imagine one of the shortened prompts" },
  };

  it("ends on the bot's answer carrying its nonce, with the analysis as text and no image", () => {
    const job = command("s", "SHORTEN", "a cat in neon rain in a city at night");
    const c = correlator(job, command("i", "IMAGINE", "a cat in neon rain in a city at night"));
    const message = botMessage({
      id: idAt(T0 + 1000),
      type: 20,
      nonce: job.nonce,
      interactionId: "610",
      commandName: "shorten",
      embeds: [embed],
      components: shortenButtons(),
    });
    expect(create(c, message)).toMatchObject([
      { type: "success", taskId: "s", result: { text: analysis, imageUrl: "", jobHash: null } },
    ]);
    expect(c.tracked().map((j) => j.taskId)).toEqual(["i"]);
  });

  it("without a nonce, the answer's interaction name finds the shorten job", () => {
    const job = command("s", "SHORTEN", "p");
    const c = correlator(job);
    const message = botMessage({
      id: idAt(T0 + 1000),
      type: 20,
      interactionId: "611",
      commandName: "shorten",
      embeds: [embed],
      components: shortenButtons(),
    });
    const effects = create(c, message);
    expect(successes(effects)).toEqual([{ taskId: "s", messageId: message["id"] }]);
    expect(effects[0]!.type === "success" && effects[0]!.result.buttons.length).toBe(5);
  });
});

describe("/blend", () => {
  const links = (a: string, b: string) => `<https://s.mj.run/${a}> <https://s.mj.run/${b}> --ar 3:2`;

  it("starts on the blend's message and ends on the grid echoing the same links", () => {
    const one = command("b1", "BLEND", "", T0);
    const two = command("b2", "BLEND", "", T0 + 5);
    const c = correlator(one, two, command("i", "IMAGINE", "cat"));
    const w1 = botMessage({
      id: idAt(T0 + 1000),
      type: 20,
      interactionId: "621",
      commandName: "blend",
      content: `**${links("aaa", "bbb")}** - <@${USER}> (Waiting to start)`,
    });
    const w2 = botMessage({
      id: idAt(T0 + 1100),
      type: 20,
      nonce: two.nonce,
      interactionId: "622",
      commandName: "blend",
      content: `**${links("ccc", "ddd")}** - <@${USER}> (Waiting to start)`,
    });
    expect(create(c, w1)).toMatchObject([{ type: "started", taskId: "b1", progressMessageId: w1["id"] }]);
    expect(create(c, w2)).toMatchObject([{ type: "started", taskId: "b2", progressMessageId: w2["id"] }]);
    // 2023-style finals: a new message without nonce or interaction.
    const g2 = botMessage({
      id: idAt(T0 + 30_000),
      content: `**${links("ccc", "ddd")}** - <@${USER}> (fast)`,
      imageUrl: cdn(`u_${H_B}.png`),
      jobHash: H_B,
    });
    const g1 = botMessage({
      id: idAt(T0 + 31_000),
      content: `**${links("aaa", "bbb")}** - <@${USER}> (fast)`,
      imageUrl: cdn(`u_${H_A}.png`),
      jobHash: H_A,
    });
    expect(successes(create(c, g2, T0 + 30_000))).toEqual([{ taskId: "b2", messageId: g2["id"] }]);
    expect(successes(create(c, g1, T0 + 31_000))).toEqual([{ taskId: "b1", messageId: g1["id"] }]);
    expect(c.tracked().map((j) => j.taskId)).toEqual(["i"]);
  });
});

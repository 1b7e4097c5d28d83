import { afterEach, describe, expect, it } from "vitest";
import { accountStatus, type Harness, json, startApi } from "./harness.js";
import {
  expectRefusal,
  expectSubmitted,
  finishedTask,
  HASH,
  jobOf,
  png,
  post,
  record,
  redisState,
  upscaledButtons,
} from "./mj-submit-helpers.js";

let h: Harness;
afterEach(() => h?.close());

describe("change and simple-change", () => {
  it("U, V and reroll click the parent's buttons on the parent's account, with its prompts", async () => {
    h = await startApi({ accounts: [accountStatus("a1"), accountStatus("a2")] });
    const parent = await finishedTask(h);
    const account = parent.accountId!;
    const up = expectSubmitted(
      await post(h, "/mj/submit/change", { taskId: parent._id, action: "UPSCALE", index: 1 }),
      account,
    );
    expect(await record(h, up)).toMatchObject({
      api: "mj",
      action: "UPSCALE",
      index: 1,
      parentId: parent._id,
      accountId: account,
      description: `/up ${parent._id} U1`,
      prompt: parent.prompt,
      promptEn: parent.promptEn,
      finalPrompt: parent.finalPrompt,
      params: { customId: `MJ::JOB::upsample::1::${HASH}` },
    });
    expect(await jobOf(h, up, account)).toBeDefined();
    const variation = expectSubmitted(
      await post(h, "/mj/submit/change", { taskId: parent._id, action: "VARIATION", index: "3" }),
      account,
    );
    expect(await record(h, variation)).toMatchObject({
      description: `/up ${parent._id} V3`,
      params: { customId: `MJ::JOB::variation::3::${HASH}`, remix: false },
    });
    const reroll = expectSubmitted(
      await post(h, "/mj/submit/change", { taskId: parent._id, action: "REROLL" }),
      account,
    );
    expect(await record(h, reroll)).toMatchObject({
      action: "REROLL",
      description: `/up ${parent._id} R`,
      params: { customId: `MJ::JOB::reroll::0::${HASH}::SOLO` },
    });
  });

  it("accepts the task id as a JSON number", async () => {
    h = await startApi();
    const parent = await finishedTask(h);
    const answer = await post(
      h,
      "/mj/submit/change",
      `{"taskId":${parent._id},"action":"UPSCALE","index":2}`,
    );
    expect((await record(h, expectSubmitted(answer))).parentId).toBe(parent._id);
  });

  it("takes a seed task (24-hex id) as the parent just as well", async () => {
    h = await startApi();
    const seed = await json(
      await fetch(`${h.url}/api/v1/trigger/submit?action=IMAGINE&prompt=seed%20parent`),
    );
    const parentId = seed.result as string;
    expect(parentId).toMatch(/^[0-9a-f]{24}$/);
    await h.api.store.update(parentId, () => ({ status: "SUCCESS", hash: HASH }));
    const id = expectSubmitted(
      await post(h, "/mj/submit/change", { taskId: parentId, action: "VARIATION", index: 4 }),
    );
    expect(await record(h, id)).toMatchObject({
      api: "mj",
      parentId,
      prompt: "seed parent",
      params: { customId: `MJ::JOB::variation::4::${HASH}` },
    });
  });

  it("on a Remix account, V and reroll answer their pop-up with the parent's prompt", async () => {
    h = await startApi({ accounts: [accountStatus("a1", { remix: true })] });
    const parent = await finishedTask(h);
    const id = expectSubmitted(
      await post(h, "/mj/submit/change", { taskId: parent._id, action: "VARIATION", index: 1 }),
    );
    expect((await record(h, id)).params).toMatchObject({ remix: true, modalPrompt: parent.promptEn });
  });

  it("simple-change reads '<taskId> U1' / 'V4' / 'R'", async () => {
    h = await startApi();
    const parent = await finishedTask(h);
    const up = expectSubmitted(await post(h, "/mj/submit/simple-change", { content: `${parent._id} u4` }));
    expect(await record(h, up)).toMatchObject({ action: "UPSCALE", index: 4 });
    const v = expectSubmitted(await post(h, "/mj/submit/simple-change", { content: `${parent._id} V2` }));
    expect(await record(h, v)).toMatchObject({ action: "VARIATION", index: 2 });
    const r = expectSubmitted(await post(h, "/mj/submit/simple-change", { content: `${parent._id} R` }));
    expect(await record(h, r)).toMatchObject({ action: "REROLL" });
  });

  it("refuses a parent that is missing (3, 404), unfinished or an upscale (4)", async () => {
    h = await startApi();
    const pending = expectSubmitted(await post(h, "/mj/submit/imagine", { prompt: "pending" }));
    const upscale = await finishedTask(h, { action: "UPSCALE" });
    const before = await redisState(h);
    expectRefusal(
      await post(h, "/mj/submit/change", { taskId: "1700000000000123", action: "UPSCALE", index: 1 }),
      404,
      3,
      "关联任务不存在或已失效",
    );
    expectRefusal(
      await post(h, "/mj/submit/change", { taskId: pending, action: "UPSCALE", index: 1 }),
      400,
      4,
      "关联任务状态错误",
    );
    expectRefusal(
      await post(h, "/mj/submit/change", { taskId: upscale._id, action: "UPSCALE", index: 1 }),
      400,
      4,
      "关联任务不允许执行变化",
    );
    expectRefusal(
      await post(h, "/mj/submit/simple-change", { content: `${upscale._id} U1` }),
      400,
      4,
      "关联任务不允许执行变化",
    );
    expect(await redisState(h)).toEqual(before);
  });
});

describe("action", () => {
  it("U1 by its custom id: an UPSCALE task on the parent's account, code 1", async () => {
    h = await startApi();
    const parent = await finishedTask(h);
    const customId = `MJ::JOB::upsample::1::${HASH}`;
    const id = expectSubmitted(await post(h, "/mj/submit/action", { taskId: parent._id, customId }));
    expect(await record(h, id)).toMatchObject({
      action: "UPSCALE",
      index: 1,
      status: "NOT_START",
      parentId: parent._id,
      botType: parent.botType,
      prompt: parent.prompt,
      params: { customId },
    });
    expect(await jobOf(h, id)).toBeDefined();
  });

  it("accepts the task id as a JSON number", async () => {
    h = await startApi();
    const parent = await finishedTask(h);
    const answer = await post(
      h,
      "/mj/submit/action",
      `{"taskId":${parent._id},"customId":"MJ::JOB::variation::2::${HASH}"}`,
    );
    expect(await record(h, expectSubmitted(answer))).toMatchObject({ action: "VARIATION", index: 2 });
  });

  it("Custom Zoom answers 21 with a MODAL task and no job; modal queues the same id", async () => {
    h = await startApi();
    const parent = await finishedTask(h, { action: "UPSCALE", buttons: upscaledButtons() });
    const answer = await post(h, "/mj/submit/action", {
      taskId: parent._id,
      customId: `MJ::CustomZoom::${HASH}`,
    });
    expect(answer.status).toBe(200);
    const id = answer.body.result;
    expect(answer.body).toEqual({
      code: 21,
      description: "Waiting for window confirm",
      result: id,
      properties: { discordInstanceId: "a1", finalPrompt: parent.finalPrompt, remix: true },
    });
    expect(await record(h, id)).toMatchObject({ status: "MODAL", action: "ZOOM" });
    expect(await jobOf(h, id)).toBeUndefined();
    expect(await h.redis.zscore(h.keys.accountLoad("a1"), id)).not.toBeNull();

    expectRefusal(await post(h, "/mj/submit/modal", { taskId: id, prompt: "wider" }), 400, 4);
    const confirmed = await post(h, "/mj/submit/modal", { taskId: Number(id), prompt: "wider --zoom 1.8" });
    expect(expectSubmitted(confirmed)).toBe(id);
    expect(await record(h, id)).toMatchObject({
      status: "NOT_START",
      params: { modalPrompt: "wider --zoom 1.8", customId: `MJ::CustomZoom::${HASH}` },
    });
    expect(await jobOf(h, id)).toBeDefined();
    // Confirmed once: a second confirmation is refused.
    expectRefusal(await post(h, "/mj/submit/modal", { taskId: id, prompt: "again --zoom 1.5" }), 400, 4);
  });

  it("Vary (Region) keeps the mask as the task's last image", async () => {
    h = await startApi();
    const parent = await finishedTask(h, { action: "UPSCALE", buttons: upscaledButtons() });
    const answer = await post(h, "/mj/submit/action", {
      taskId: parent._id,
      customId: `MJ::Inpaint::1::${HASH}::SOLO`,
    });
    expect(answer.body.code).toBe(21);
    const id = answer.body.result;
    expectRefusal(
      await post(h, "/mj/submit/modal", { taskId: id, prompt: "a hat" }),
      400,
      4,
      "maskBase64不能为空",
    );
    const mask = png(40, 9);
    expectSubmitted(await post(h, "/mj/submit/modal", { taskId: id, prompt: "a hat", maskBase64: mask }));
    expect(await record(h, id)).toMatchObject({
      status: "NOT_START",
      action: "VARIATION",
      params: { hasMask: true, modalPrompt: "a hat" },
    });
    expect(await h.redis.lrange(h.keys.taskImages(id), -1, -1)).toEqual([mask]);
  });

  it("a blank modal prompt falls back to the task's own prompt", async () => {
    h = await startApi({ accounts: [accountStatus("a1", { remix: true })] });
    const parent = await finishedTask(h);
    const answer = await post(h, "/mj/submit/action", {
      taskId: parent._id,
      customId: `MJ::JOB::variation::1::${HASH}`,
    });
    expect(answer.body).toMatchObject({ code: 21, properties: { remix: true } });
    expectSubmitted(await post(h, "/mj/submit/modal", { taskId: answer.body.result, prompt: "  " }));
    expect((await record(h, answer.body.result)).params).toMatchObject({
      modalPrompt: parent.prompt,
      remix: true,
    });
  });

  it("Remix pop-ups: V needs one on a Remix account or with enableRemix, U never does", async () => {
    h = await startApi({ accounts: [accountStatus("a1", { concurrency: 20 })] });
    const parent = await finishedTask(h);
    const click = (customId: string, extra: Record<string, unknown> = {}) =>
      post(h, "/mj/submit/action", { taskId: parent._id, customId, ...extra });
    expect((await click(`MJ::JOB::variation::1::${HASH}`)).body.code).toBe(1);
    expect((await click(`MJ::JOB::variation::1::${HASH}`, { enableRemix: true })).body.code).toBe(21);
    expect((await click(`MJ::JOB::reroll::0::${HASH}::SOLO`, { enableRemix: true })).body.code).toBe(21);
    expect((await click(`MJ::JOB::upsample::1::${HASH}`, { enableRemix: true })).body.code).toBe(1);
  });

  it("❤️ is clicked at once and answers the parent's id", async () => {
    h = await startApi();
    const parent = await finishedTask(h, { action: "UPSCALE", buttons: upscaledButtons() });
    const customId = `MJ::BOOKMARK::${HASH}`;
    const answer = await post(h, "/mj/submit/action", { taskId: parent._id, customId });
    expect(answer.body).toEqual({
      code: 1,
      description: "提交成功",
      result: parent._id,
      properties: { discordInstanceId: "a1" },
    });
    const clicks = (await h.api.store.list({ limit: 10, action: "ACTION" })).tasks;
    expect(clicks).toHaveLength(1);
    expect(clicks[0]).toMatchObject({ params: { customId }, parentId: parent._id });
    expect(await jobOf(h, clicks[0]!._id)).toBeDefined();
  });

  it("describe's 🎉 imagines all four prompts; a numbered prompt opens its pop-up pre-filled", async () => {
    h = await startApi({ accounts: [accountStatus("a1", { concurrency: 20 })] });
    const described = await finishedTask(h, {
      action: "DESCRIBE",
      finalPrompt: "1️⃣ a cat --ar 5:4\n\n2️⃣ a dog\n\n3️⃣ a bird\n\n4️⃣ a fish",
      buttons: [
        ...[1, 2, 3, 4].map((n) => ({
          customId: `MJ::Job::PicReader::${n}`,
          emoji: "",
          label: String(n),
          type: 2,
          style: 2,
        })),
        { customId: "MJ::Job::PicReader::all", emoji: "🎉", label: "Imagine all", type: 2, style: 2 },
      ],
    });
    const all = await post(h, "/mj/submit/action", {
      taskId: described._id,
      customId: "MJ::Job::PicReader::all",
    });
    expect(all.body.code).toBe(1);
    const ids = all.body.result.split(",");
    expect(ids).toHaveLength(4);
    const prompts = await Promise.all(ids.map(async (id: string) => (await record(h, id)).prompt));
    expect(prompts).toEqual(["a cat --ar 5:4", "a dog", "a bird", "a fish"]);

    const second = await post(h, "/mj/submit/action", {
      taskId: described._id,
      customId: "MJ::Job::PicReader::2",
    });
    expect(second.body).toMatchObject({ code: 21, properties: { finalPrompt: "a dog" } });
    expectSubmitted(await post(h, "/mj/submit/modal", { taskId: second.body.result }));
    expect(await record(h, second.body.result)).toMatchObject({
      action: "IMAGINE",
      params: { modalPrompt: "a dog", customId: "MJ::Job::PicReader::2" },
    });
  });

  it("refuses a missing parent (404 code 3), an unfinished one, an unknown or foreign customId (4)", async () => {
    h = await startApi();
    const parent = await finishedTask(h);
    const pending = expectSubmitted(await post(h, "/mj/submit/imagine", { prompt: "pending" }));
    const before = await redisState(h);
    const click = (taskId: unknown, customId: unknown) => post(h, "/mj/submit/action", { taskId, customId });
    expectRefusal(await click("", "x"), 400, 4, "参数错误");
    expectRefusal(await click(parent._id, ""), 400, 4, "参数错误");
    expectRefusal(
      await click("1700000000000999", `MJ::JOB::upsample::1::${HASH}`),
      404,
      3,
      "关联任务不存在或已失效",
    );
    expectRefusal(await click(pending, `MJ::JOB::upsample::1::${HASH}`), 400, 4, "关联任务状态错误");
    expectRefusal(await click(parent._id, "dance::1"), 400, 4, "未知的 Action 类型");
    expectRefusal(await click(parent._id, "MJ::CancelJob::ByJobid::x"), 400, 4, "未知的 Action 类型");
    expectRefusal(
      await click(parent._id, `MJ::JOB::upsample::1::ffffffff-0000-0000-0000-000000000000`),
      400,
      4,
      "customId不在关联任务的按钮中",
    );
    expectRefusal(await click(parent._id, `MJ::CustomZoom::${HASH}`), 400, 4, "customId不在关联任务的按钮中");
    expect(await redisState(h)).toEqual(before);
  });
});

describe("modal refusals", () => {
  it("blank id (4), unknown id (404 code 3), a task that is not waiting for its pop-up (4)", async () => {
    h = await startApi();
    const queued = expectSubmitted(await post(h, "/mj/submit/imagine", { prompt: "x" }));
    const before = await redisState(h);
    expectRefusal(await post(h, "/mj/submit/modal", { taskId: " " }), 400, 4, "参数错误");
    expectRefusal(await post(h, "/mj/submit/modal", {}), 400, 4, "参数错误");
    expectRefusal(
      await post(h, "/mj/submit/modal", { taskId: "1700000000000999" }),
      404,
      3,
      "关联任务不存在或已失效",
    );
    expectRefusal(await post(h, "/mj/submit/modal", { taskId: queued, prompt: "p" }), 400, 4);
    expect(await redisState(h)).toEqual(before);
  });
});

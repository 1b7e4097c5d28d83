import type { ChildProcess } from "node:child_process";
import { freePort, startRedisServer, until } from "@mjg/shared/testing";
import { BannedWords } from "@mjg/translate";
import { afterEach, describe, expect, it } from "vitest";
import { accountStatus, type Harness, json, startApi } from "./harness.js";
import {
  expectRefusal,
  expectSubmitted,
  jobOf,
  jpeg,
  png,
  post,
  record,
  redisState,
} from "./mj-submit-helpers.js";

let h: Harness;
afterEach(() => h?.close());

const PREFIXES = ["/mj", "/mj-fast/mj", "/mj-relax/mj", "/mj-turbo/mj"];

describe("imagine", () => {
  it("answers code 1 with the numeric task id as a string, and queues the task on the account", async () => {
    h = await startApi();
    const answer = await post(h, "/mj/submit/imagine", {
      prompt: " a red cat ",
      state: "s-1",
      notifyHook: "https://example.com/hook",
    });
    const id = expectSubmitted(answer);
    expect(answer.body).toEqual({
      code: 1,
      description: "提交成功",
      result: id,
      properties: { discordInstanceId: "a1" },
    });
    const task = await record(h, id);
    expect(task).toMatchObject({
      api: "mj",
      action: "IMAGINE",
      status: "NOT_START",
      prompt: "a red cat",
      promptEn: "a red cat",
      description: "/imagine a red cat",
      state: "s-1",
      notifyHook: "https://example.com/hook",
      accountId: "a1",
      mode: null,
      botType: "MID_JOURNEY",
    });
    expect((await jobOf(h, id))?.data).toEqual({ taskId: id });
  });

  it("is readable through both APIs", async () => {
    h = await startApi();
    const id = expectSubmitted(await post(h, "/mj/submit/imagine", { prompt: "both views" }));
    const seed = await json(await fetch(`${h.url}/api/v1/task/fetch?_id=${id}`));
    expect(seed).toMatchObject({ _id: id, prompt: "both views" });
    const mj = await json(await fetch(`${h.url}/mj/task/${id}/fetch`));
    expect(mj).toMatchObject({ id, prompt: "both views", status: "NOT_START", action: "IMAGINE" });
  });

  it("answers code 22 with the number of tasks waiting ahead on the chosen account", async () => {
    h = await startApi({ accounts: [accountStatus("a1", { concurrency: 1, queueSize: 10 })] });
    expect((await post(h, "/mj/submit/imagine", { prompt: "one" })).body.code).toBe(1);
    expect((await post(h, "/mj/submit/imagine", { prompt: "two" })).body.code).toBe(1);
    const third = await post(h, "/mj/submit/imagine", { prompt: "three" });
    const id = expectSubmitted(third);
    expect(third.body).toEqual({
      code: 22,
      description: "排队中，前面还有1个任务",
      result: id,
      properties: { discordInstanceId: "a1", numberOfQueues: 1 },
    });
    expect((await post(h, "/mj/submit/imagine", { prompt: "four" })).body.properties.numberOfQueues).toBe(2);
  });

  it("keeps reference images (data URLs, in order) with the task until the worker sends them", async () => {
    h = await startApi();
    const images = [png(100, 1), jpeg(80)];
    const id = expectSubmitted(
      await post(h, "/mj/submit/imagine", { prompt: "with refs", base64Array: images, base64: png(50, 3) }),
    );
    expect(await h.redis.lrange(h.keys.taskImages(id), 0, -1)).toEqual([...images, png(50, 3)]);
    expect(await h.redis.pttl(h.keys.taskImages(id))).toBeGreaterThan(600_000);
    expect((await record(h, id)).params.imageCount).toBe(3);
  });

  it("stores an image with the type its bytes say, whatever its data URL claims", async () => {
    h = await startApi();
    const mislabelled = jpeg(40).replace("image/jpeg", "image/png");
    const id = expectSubmitted(
      await post(h, "/mj/submit/imagine", { prompt: "x", base64Array: [mislabelled] }),
    );
    expect(await h.redis.lrange(h.keys.taskImages(id), 0, -1)).toEqual([jpeg(40)]);
  });

  it("maps botType and --niji onto the bot", async () => {
    h = await startApi();
    const bot = async (body: Record<string, unknown>) =>
      (await record(h, expectSubmitted(await post(h, "/mj/submit/imagine", body)))).botType;
    expect(await bot({ prompt: "x", botType: "niji" })).toBe("NIJI_JOURNEY");
    expect(await bot({ prompt: "x", botType: "NIJI_JOURNEY" })).toBe("NIJI_JOURNEY");
    expect(await bot({ prompt: "x", botType: "mj" })).toBe("MID_JOURNEY");
    expect(await bot({ prompt: "x", botType: "MID_JOURNEY" })).toBe("MID_JOURNEY");
    expect(await bot({ prompt: "x --niji 6" })).toBe("NIJI_JOURNEY");
    expect(await bot({ prompt: "x", botType: "something-else" })).toBe("MID_JOURNEY");
  });
});

describe("large bodies and many submits", () => {
  // The overload guard is off here: a busy shared test machine must not turn these into 503s.
  it("takes five large images in one request, far above the limit of the other routes", async () => {
    h = await startApi({ overload: { maxEventLoopDelayMs: 0 } });
    const big = [1, 2, 3, 4, 5].map((n) => png(2 * 1024 * 1024, n));
    const id = expectSubmitted(
      await post(h, "/mj/submit/blend", { base64Array: big, dimensions: "LANDSCAPE" }),
    );
    expect(await h.redis.llen(h.keys.taskImages(id))).toBe(5);
    expect((await post(h, "/api/v1/trigger/submit", { action: "IMAGINE", prompt: big[0] })).status).toBe(413);
  });

  it("gives every one of many concurrent submits its own id and record", async () => {
    h = await startApi({
      accounts: [accountStatus("a1", { queueSize: 1_000 })],
      overload: { maxEventLoopDelayMs: 0 },
    });
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => post(h, "/mj/submit/imagine", { prompt: `p${i}` })),
    );
    const ids = answers.map((answer) => expectSubmitted(answer));
    expect(new Set(ids).size).toBe(200);
    const records = await h.api.store.getMany(ids);
    expect(records.map((found) => found?.prompt)).toEqual(ids.map((_, i) => `p${i}`));
  });
});

describe("speed-mode prefixes", () => {
  it("serves every submit route under the four prefixes", async () => {
    h = await startApi({ accounts: [accountStatus("a1", { queueSize: 100 })] });
    for (const prefix of PREFIXES) {
      expectSubmitted(await post(h, `${prefix}/submit/imagine`, { prompt: "p" }));
      expectSubmitted(await post(h, `${prefix}/submit/shorten`, { prompt: "p" }));
      expectSubmitted(await post(h, `${prefix}/submit/describe`, { base64: png() }));
      expectSubmitted(await post(h, `${prefix}/submit/blend`, { base64Array: [png(), png(70)] }));
    }
  });

  it("stores the prefix's mode and sends it as a flag unless the prompt has one", async () => {
    h = await startApi();
    const task = async (path: string, prompt: string) =>
      record(h, expectSubmitted(await post(h, path, { prompt })));
    expect(await task("/mj-fast/mj/submit/imagine", "a cat")).toMatchObject({
      mode: "FAST",
      promptEn: "a cat --fast",
      description: "/imagine a cat --fast",
    });
    expect(await task("/mj-relax/mj/submit/imagine", "a cat")).toMatchObject({
      mode: "RELAX",
      promptEn: "a cat --relax",
    });
    expect(await task("/mj-turbo/mj/submit/shorten", "a cat --relax")).toMatchObject({
      mode: "TURBO",
      promptEn: "a cat --relax",
    });
    expect(await task("/mj/submit/imagine", "a cat --relax")).toMatchObject({
      mode: "RELAX",
      promptEn: "a cat --relax",
    });
    expect(await task("/mj/submit/imagine", "a cat")).toMatchObject({ mode: null, promptEn: "a cat" });
  });

  it("picks only accounts whose plan allows the mode, and answers code 3 when none does", async () => {
    h = await startApi({
      accounts: [accountStatus("relaxed", { modes: ["RELAX"] }), accountStatus("fast", { modes: ["FAST"] })],
    });
    expectSubmitted(await post(h, "/mj-relax/mj/submit/imagine", { prompt: "x" }), "relaxed");
    expectSubmitted(await post(h, "/mj-fast/mj/submit/imagine", { prompt: "x" }), "fast");
    expectSubmitted(await post(h, "/mj/submit/imagine", { prompt: "x --relax" }), "relaxed");
    const before = await redisState(h);
    expectRefusal(await post(h, "/mj-turbo/mj/submit/imagine", { prompt: "x" }), 404, 3, "无可用的账号实例");
    expect(await redisState(h)).toEqual(before);
  });

  it("honours accountFilter: instanceId, modes and remix; an unmatched filter is code 3", async () => {
    h = await startApi({
      accounts: [
        accountStatus("a1"),
        accountStatus("a2", { remix: true, modes: ["RELAX"] }),
        accountStatus("a3", { enabled: false }),
      ],
    });
    const filtered = async (accountFilter: unknown) =>
      post(h, "/mj/submit/imagine", { prompt: "x", accountFilter });
    expectSubmitted(await filtered({ instanceId: "a2" }), "a2");
    expectSubmitted(await filtered({ instanceId: "a1" }), "a1");
    expectSubmitted(await filtered({ remix: true }), "a2");
    const relax = await filtered({ modes: ["RELAX"], remix: true });
    expect((await record(h, expectSubmitted(relax, "a2"))).mode).toBe("RELAX");
    const before = await redisState(h);
    expectRefusal(await filtered({ instanceId: "nope" }), 404, 3, "无可用的账号实例");
    expectRefusal(await filtered({ instanceId: "a3" }), 404, 3, "无可用的账号实例");
    expect(await redisState(h)).toEqual(before);
  });
});

describe("describe, blend, shorten", () => {
  it("describe takes a data URL or a link", async () => {
    h = await startApi();
    const byImage = expectSubmitted(await post(h, "/mj/submit/describe", { base64: png() }));
    expect(await record(h, byImage)).toMatchObject({
      action: "DESCRIBE",
      prompt: null,
      description: `/describe ${byImage}.png`,
      params: { imageCount: 1, link: null },
    });
    expect(await h.redis.llen(h.keys.taskImages(byImage))).toBe(1);
    const byLink = expectSubmitted(
      await post(h, "/mj/submit/describe", { link: "https://cdn.example.com/cat.png", botType: "niji" }),
    );
    expect(await record(h, byLink)).toMatchObject({
      action: "DESCRIBE",
      botType: "NIJI_JOURNEY",
      params: { imageCount: 0, link: "https://cdn.example.com/cat.png" },
    });
    expect(await h.redis.exists(h.keys.taskImages(byLink))).toBe(0);
  });

  it("blend takes 2 to 5 images and the dimensions (SQUARE by default)", async () => {
    h = await startApi();
    const two = expectSubmitted(await post(h, "/mj/submit/blend", { base64Array: [png(), jpeg()] }));
    expect(await record(h, two)).toMatchObject({
      action: "BLEND",
      description: `/blend ${two} 2`,
      params: { imageCount: 2, dimensions: "SQUARE" },
    });
    const five = expectSubmitted(
      await post(h, "/mj/submit/blend", {
        base64Array: [png(10), png(11), png(12), png(13), png(14)],
        dimensions: "PORTRAIT",
      }),
    );
    expect((await record(h, five)).params).toMatchObject({ imageCount: 5, dimensions: "PORTRAIT" });
    expect(await h.redis.llen(h.keys.taskImages(five))).toBe(5);
  });

  it("shorten sends the prompt", async () => {
    h = await startApi();
    const id = expectSubmitted(await post(h, "/mj-fast/mj/submit/shorten", { prompt: "a very long prompt" }));
    expect(await record(h, id)).toMatchObject({
      action: "SHORTEN",
      prompt: "a very long prompt",
      promptEn: "a very long prompt --fast",
      description: "/shorten a very long prompt --fast",
    });
  });
});

describe("upload-discord-images", () => {
  async function finishUpload(outcome: "SUCCESS" | "FAILURE") {
    for (;;) {
      const page = await h.api.store.list({ limit: 10, action: "UPLOAD" });
      const task = page.tasks[0];
      if (task) {
        await h.api.store.update(task._id, () =>
          outcome === "SUCCESS"
            ? {
                status: "SUCCESS",
                imageUrls: ["https://cdn.example.com/1.png", "https://cdn.example.com/2.png"],
              }
            : { status: "FAILURE", failReason: "upload refused" },
        );
        return task;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it("answers the uploaded images' URLs as an array once the worker has uploaded them", async () => {
    h = await startApi();
    const [answer, task] = await Promise.all([
      post(h, "/mj/submit/upload-discord-images", { base64Array: [png(), jpeg()] }),
      finishUpload("SUCCESS"),
    ]);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      code: 1,
      description: "提交成功",
      result: ["https://cdn.example.com/1.png", "https://cdn.example.com/2.png"],
      properties: { discordInstanceId: "a1" },
    });
    expect(task).toMatchObject({ action: "UPLOAD", api: "mj", params: { imageCount: 2 } });
  });

  it("answers code 9 with the reason when the upload fails", async () => {
    h = await startApi();
    const [answer] = await Promise.all([
      post(h, "/mj/submit/upload-discord-images", { base64Array: [png()] }),
      finishUpload("FAILURE"),
    ]);
    expectRefusal(answer, 502, 9, "上传失败");
    expect(answer.body.properties).toEqual({ failReason: "upload refused" });
  });
});

describe("refusals with their codes", () => {
  it("banned prompt: code 24 naming the word, nothing written", async () => {
    h = await startApi({ bannedWords: new BannedWords(["gore"]) });
    const before = await redisState(h);
    const answer = await post(h, "/mj/submit/imagine", { prompt: "lots of Gore" });
    expectRefusal(answer, 400, 24, "可能包含敏感词");
    expect(answer.body.properties).toEqual({ promptEn: "lots of Gore", bannedWord: "gore" });
    expectRefusal(await post(h, "/mj/submit/shorten", { prompt: "gore" }), 400, 24);
    expect(await redisState(h)).toEqual(before);
  });

  it("queues full: code 23 with HTTP 429 and Retry-After, the refused task not kept", async () => {
    h = await startApi({ accounts: [accountStatus("a1", { concurrency: 1, queueSize: 0 })] });
    expectSubmitted(await post(h, "/mj/submit/imagine", { prompt: "fits" }));
    const before = await redisState(h);
    const full = await post(h, "/mj/submit/imagine", { prompt: "does not fit" });
    expectRefusal(full, 429, 23, "队列已满，请稍后尝试");
    expect(full.headers.get("retry-after")).toBe("5");
    expect(await redisState(h)).toEqual(before);
  });

  it("no enabled account: code 3 with HTTP 404", async () => {
    h = await startApi({ accounts: [accountStatus("off", { enabled: false })] });
    expectRefusal(await post(h, "/mj/submit/imagine", { prompt: "x" }), 404, 3, "无可用的账号实例");
  });

  it("Redis away: code 9 with HTTP 503 and Retry-After, at once", async () => {
    const port = await freePort();
    let redisProcess: ChildProcess | undefined = await startRedisServer(port);
    try {
      h = await startApi({ redisUrl: `redis://127.0.0.1:${port}/3` });
      expectSubmitted(await post(h, "/mj/submit/imagine", { prompt: "before" }));
      redisProcess.kill("SIGKILL");
      redisProcess = undefined;
      const down = await until(
        () => post(h, "/mj-fast/mj/submit/imagine", { prompt: "x" }),
        (answer) => answer.status === 503,
      );
      expectRefusal(down, 503, 9, "提交失败，系统异常");
      expect(down.headers.get("retry-after")).toBe("5");
    } finally {
      redisProcess?.kill("SIGKILL");
    }
  });

  it("an unknown /mj route: 404 in the /mj envelope, not code 3", async () => {
    h = await startApi();
    expectRefusal(await post(h, "/mj/submit/dance", {}), 404, 4);
    expectRefusal(await post(h, "/mj-fast/mj/submit/dance", {}), 404, 4);
  });
});

describe("auth", () => {
  it("asks for the secret on every prefix, as mj-api-secret or Bearer, and refuses in the /mj envelope", async () => {
    h = await startApi({ apiSecret: "s3cret-value" });
    for (const prefix of PREFIXES) {
      const url = `${prefix}/submit/imagine`;
      expectRefusal(await post(h, url, { prompt: "x" }), 401, 4);
      expectRefusal(await post(h, url, { prompt: "x" }, { "mj-api-secret": "wrong" }), 401, 4);
      expectSubmitted(await post(h, url, { prompt: "x" }, { "mj-api-secret": "s3cret-value" }));
      expectSubmitted(await post(h, url, { prompt: "x" }, { authorization: "Bearer s3cret-value" }));
    }
    const refused = await post(h, "/mj/submit/imagine", { prompt: "x" });
    expect(JSON.stringify(refused.body)).not.toContain("s3cret");
  });
});

describe("OpenAPI", () => {
  it("documents every /mj submit route from its schema under the mj tag", async () => {
    h = await startApi();
    const doc = await json(await fetch(`${h.url}/docs/json`));
    const routes = [
      "imagine",
      "change",
      "simple-change",
      "action",
      "modal",
      "describe",
      "blend",
      "shorten",
      "upload-discord-images",
    ];
    for (const prefix of PREFIXES) {
      for (const route of routes) {
        const operation = doc.paths[`${prefix}/submit/${route}`]?.post;
        expect(operation, `${prefix}/submit/${route}`).toBeDefined();
        expect(operation.tags).toEqual(["mj"]);
        expect(operation.requestBody.content["application/json"].schema.properties).toBeDefined();
      }
    }
    const imagine = doc.paths["/mj/submit/imagine"].post;
    expect(Object.keys(imagine.requestBody.content["application/json"].schema.properties)).toEqual(
      expect.arrayContaining(["prompt", "base64Array", "botType", "accountFilter", "state", "notifyHook"]),
    );
    expect(imagine.responses["200"].content["application/json"].schema.properties.result.type).toBe("string");
    const upload = doc.paths["/mj/submit/upload-discord-images"].post;
    expect(upload.responses["200"].content["application/json"].schema.properties.result.type).toBe("array");
  });
});

import { newNumericTaskId, newTaskId, type TaskRecord, taskJobId } from "@mjg/shared";
import { testRecord } from "@mjg/shared/testing";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { accountStatus, type Harness, json, startApi } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startApi({
    accounts: [
      accountStatus("a1", { channelId: "111", guildId: "222", remix: true, modes: ["FAST", "RELAX"] }),
    ],
  });
});
afterAll(() => h.close());

const PREFIXES = ["/mj", "/mj-fast/mj", "/mj-relax/mj", "/mj-turbo/mj"];

/** new-api's `MidjourneyDto` as Go unmarshals it: a wrong type anywhere fails the whole batch. */
const goString = z.string().nullable();
const goInt64 = z.number().int().nullable();
const NewApiTaskSchema = z.object({
  id: z.string(),
  action: goString,
  customId: goString,
  botType: goString,
  prompt: goString,
  promptEn: goString,
  description: goString,
  state: goString,
  submitTime: goInt64,
  startTime: goInt64,
  finishTime: goInt64,
  imageUrl: goString,
  status: goString,
  progress: goString,
  failReason: goString,
  buttons: z.array(z.unknown()).nullable(),
  properties: z.object({ finalPrompt: goString.optional(), finalZhPrompt: goString.optional() }).nullable(),
});
const NewApiBatchSchema = z.array(NewApiTaskSchema);

async function mjRecord(overrides: Partial<TaskRecord> = {}, numeric = true): Promise<TaskRecord> {
  const record = {
    ...testRecord({
      _id: numeric ? newNumericTaskId() : newTaskId(),
      prompt: "a lighthouse",
      state: "s1",
      api: numeric ? "mj" : "seed",
    }),
    ...overrides,
  };
  await h.api.store.create(record);
  return record;
}

async function finish(id: string, extra: Partial<TaskRecord> = {}) {
  await h.api.store.update(id, () => ({
    status: "SUCCESS",
    startTime: Date.now(),
    finishTime: Date.now(),
    imageUrl: "https://cdn.example.com/x.png",
    hash: "0f3b1a2c-1111-2222-3333-444455556666",
    finalPrompt: "a lighthouse --v 6",
    ...extra,
  }));
}

async function get(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${h.url}${path}`, { headers });
  return { status: response.status, body: await json(response), headers: response.headers };
}

async function post(path: string, body?: unknown) {
  const response = await fetch(`${h.url}${path}`, {
    method: "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await json(response) };
}

async function seedSubmit(prompt: string): Promise<string> {
  const { body } = await post("/api/v1/trigger/submit", { action: "IMAGINE", prompt });
  expect(body.code).toBe(1);
  return body.result;
}

function expectMjEnvelope(body: unknown, code: number) {
  expect(body).toEqual({ code, description: expect.any(String), result: null, properties: {} });
}

describe("fetching one task", () => {
  it("answers the /mj Task JSON under every speed-mode prefix", async () => {
    const record = await mjRecord();
    await finish(record._id);
    for (const prefix of PREFIXES) {
      const { status, body } = await get(`${prefix}/task/${record._id}/fetch`);
      expect(status).toBe(200);
      expect(body).toMatchObject({
        id: record._id,
        action: "IMAGINE",
        status: "SUCCESS",
        progress: "100%",
        imageUrl: "https://cdn.example.com/x.png",
        properties: { finalPrompt: "a lighthouse --v 6", discordInstanceId: "a1" },
      });
      expect(NewApiTaskSchema.safeParse(body).success).toBe(true);
    }
  });

  it("reads a task submitted through the seed API by its 24-hex id", async () => {
    const id = await seedSubmit("a seed cat");
    const { status, body } = await get(`/mj/task/${id}/fetch`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ id, status: "NOT_START", prompt: "a seed cat", progress: "0%" });
  });

  it("makes a /mj task readable through the seed API", async () => {
    const record = await mjRecord();
    const { status, body } = await get(`/api/v1/task/fetch?_id=${record._id}`);
    expect(status).toBe(200);
    expect(body._id).toBe(record._id);
  });

  it("answers an unknown or impossible id with HTTP 404 and code 3 in the /mj envelope", async () => {
    for (const id of ["1700000000000123", "abc", "-1", "x%20y", "0".repeat(40)]) {
      const { status, body } = await get(`/mj/task/${id}/fetch`);
      expect(status, id).toBe(404);
      expectMjEnvelope(body, 3);
      expect(body.description).toBe("任务不存在");
    }
  });
});

describe("list-by-condition, as new-api polls it", () => {
  it("answers the known ids in the order asked, ids given as strings or numbers, unknown skipped", async () => {
    const a = await mjRecord();
    const b = await mjRecord();
    const seedId = await seedSubmit("seed in a batch");
    const { status, body } = await post("/mj/task/list-by-condition", {
      ids: [Number(b._id), "9999999999999999", a._id, seedId, a._id],
    });
    expect(status).toBe(200);
    expect(body.map((task: { id: string }) => task.id)).toEqual([b._id, a._id, seedId]);
    expect(NewApiBatchSchema.safeParse(body).success).toBe(true);
  });

  it("answers [] for null, empty, absent ids and an empty body", async () => {
    for (const body of [{ ids: null }, { ids: [] }, {}, undefined]) {
      const answer = await post("/mj/task/list-by-condition", body);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual([]);
    }
  });

  it("serves the list-by-ids alias the same way", async () => {
    const a = await mjRecord();
    const { status, body } = await post("/mj/task/list-by-ids", { ids: [a._id] });
    expect(status).toBe(200);
    expect(body).toHaveLength(1);
  });

  it("refuses more than 500 ids, or ids of the wrong type, with code 4", async () => {
    const many = Array.from({ length: 501 }, (_, i) => String(1_700_000_000_000_000 + i));
    for (const body of [{ ids: many }, { ids: "123" }, { ids: [{ id: 1 }] }, { ids: [1.5] }]) {
      const answer = await post("/mj/task/list-by-condition", body);
      expect(answer.status).toBe(400);
      expectMjEnvelope(answer.body, 4);
    }
  });

  it("a poller decoding strictly sees every state of seed and /mj tasks until they finish", async () => {
    const seedId = await seedSubmit("polled seed task");
    const mj = await mjRecord();
    const ids = [seedId, mj._id];
    const seen = new Set<string>();
    const steps: ((id: string) => Promise<unknown>)[] = [
      (id) => h.api.store.update(id, () => ({ status: "SUBMITTED", startTime: Date.now() })),
      (id) => h.api.store.update(id, () => ({ status: "IN_PROGRESS", progress: "46%" })),
      (id) => finish(id),
    ];
    for (const step of [async () => undefined, ...steps.map((s) => () => Promise.all(ids.map(s)))]) {
      await step();
      const { status, body } = await post("/mj/task/list-by-condition", { ids });
      expect(status).toBe(200);
      const decoded = NewApiBatchSchema.parse(body);
      expect(decoded).toHaveLength(2);
      for (const task of decoded) seen.add(`${task.status}:${task.progress}`);
      for (const task of decoded)
        expect(
          typeof task.properties?.finalPrompt === "string" || task.properties?.finalPrompt === null,
        ).toBe(true);
    }
    expect([...seen]).toEqual(["NOT_START:0%", "SUBMITTED:0%", "IN_PROGRESS:46%", "SUCCESS:100%"]);
  });
});

describe("task list and queue", () => {
  it("lists the newest tasks first, bounded by limit", async () => {
    const older = await mjRecord({ submitTime: Date.now() - 1_000 });
    const newer = await mjRecord({ submitTime: Date.now() + 1_000 });
    const { status, body } = await get("/mj/task/list?limit=2");
    expect(status).toBe(200);
    expect(body.map((task: { id: string }) => task.id)).toEqual([newer._id, expect.any(String)]);
    expect(body).toHaveLength(2);
    expect((await get("/mj/task/list")).body.length).toBeLessThanOrEqual(100);
    expect((await get("/mj/task/list")).body.map((t: { id: string }) => t.id)).toContain(older._id);
    const bad = await get("/mj/task/list?limit=100000");
    expect(bad.status).toBe(400);
    expectMjEnvelope(bad.body, 4);
  });

  it("shows queued and running tasks by submit time, not finished ones", async () => {
    const first = await seedSubmit("queued first");
    const second = await seedSubmit("queued second");
    const third = await seedSubmit("finished soon");
    await h.api.store.update(second, () => ({ status: "IN_PROGRESS", progress: "10%" }));
    await finish(third);
    await h.directory.release("a1", third);
    const { status, body } = await get("/mj/task/queue");
    expect(status).toBe(200);
    const ids = body.map((task: { id: string }) => task.id);
    expect(ids).toContain(first);
    expect(ids).toContain(second);
    expect(ids).not.toContain(third);
    expect(ids.indexOf(first)).toBeLessThan(ids.indexOf(second));
    const times = body.map((task: { submitTime: number }) => task.submitTime);
    expect(times).toEqual([...times].sort((x, y) => x - y));
  });
});

describe("image-seed", () => {
  it("answers a stored seed at once", async () => {
    const record = await mjRecord();
    await finish(record._id, { seed: "1259687673" });
    const { status, body } = await get(`/mj/task/${record._id}/image-seed`);
    expect(status).toBe(200);
    expect(body).toEqual({ code: 1, description: "成功", result: "1259687673", properties: {} });
  });

  it("asks the worker for the seed and answers once it is read", async () => {
    const record = await mjRecord();
    await finish(record._id);
    const answer = get(`/mj/task/${record._id}/image-seed`);
    const queue = h.api.submitter.queueFor("a1");
    for (let i = 0; i < 100 && !(await queue.getJob(`seed-${record._id}`)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const job = await queue.getJob(`seed-${record._id}`);
    expect(job?.name).toBe("seed");
    expect(job?.data).toEqual({ taskId: record._id });
    await h.api.store.update(record._id, () => ({ seed: "42424242" }));
    const { status, body } = await answer;
    expect(status).toBe(200);
    expect(body.result).toBe("42424242");
  });

  it("refuses an unfinished task with 400 code 4 and an unknown one with 404 code 3", async () => {
    const record = await mjRecord();
    const unfinished = await get(`/mj/task/${record._id}/image-seed`);
    expect(unfinished.status).toBe(400);
    expectMjEnvelope(unfinished.body, 4);
    expect(unfinished.body.description).toBe("关联任务状态错误");
    const unknown = await get("/mj/task/1700000000000999/image-seed");
    expect(unknown.status).toBe(404);
    expectMjEnvelope(unknown.body, 3);
  });
});

describe("cancel", () => {
  it("ends a waiting task as CANCEL, removes its job and frees its account slot", async () => {
    const id = await seedSubmit("to be cancelled");
    const queue = h.api.submitter.queueFor("a1");
    expect(await queue.getJob(taskJobId(id))).toBeTruthy();
    const loadBefore = await h.redis.zscore(h.keys.accountLoad("a1"), id);
    expect(loadBefore).not.toBeNull();
    const { status, body } = await post(`/mj/task/${id}/cancel`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ code: 1, result: id });
    const task = (await get(`/mj/task/${id}/fetch`)).body;
    expect(task).toMatchObject({ status: "CANCEL", failReason: "取消任务", progress: "" });
    expect(typeof task.finishTime).toBe("number");
    expect(await queue.getJob(taskJobId(id))).toBeFalsy();
    expect(await h.redis.zscore(h.keys.accountLoad("a1"), id)).toBeNull();
  });

  it("cancels a task submitted through /mj/submit/imagine, numeric id and all", async () => {
    const submitted = await post("/mj/submit/imagine", { prompt: "a cancelled comet" });
    expect([1, 22]).toContain(submitted.body.code);
    const id: string = submitted.body.result;
    const queue = h.api.submitter.queueFor("a1");
    expect(await queue.getJob(taskJobId(id))).toBeTruthy();
    const { status } = await post(`/mj/task/${id}/cancel`);
    expect(status).toBe(200);
    expect(await queue.getJob(taskJobId(id))).toBeFalsy();
    expect((await get(`/mj/task/${id}/fetch`)).body.status).toBe("CANCEL");
  });

  it("queues the cancelled /mj task's callback with its Task JSON", async () => {
    const record = await mjRecord({ notifyHook: "https://example.com/mj-hook" });
    expect((await post(`/mj/task/${record._id}/cancel`)).status).toBe(200);
    const notify = new Queue(h.keys.notifyQueue, { connection: h.redis, prefix: h.keys.prefix });
    try {
      const job = await notify.getJob(`mj-${record._id}-1`);
      expect(job?.data).toEqual({ taskId: record._id, seq: 1 });
      const slot = await h.redis.hget(`${h.keys.task(record._id)}:notify`, "pending");
      expect(JSON.parse(JSON.parse(slot!).body)).toMatchObject({ id: record._id, status: "CANCEL" });
    } finally {
      await notify.close();
    }
  });

  it("refuses a finished task with code 4 and an unknown one with 404 code 3", async () => {
    const record = await mjRecord();
    await finish(record._id);
    const done = await post(`/mj/task/${record._id}/cancel`);
    expect(done.status).toBe(400);
    expectMjEnvelope(done.body, 4);
    const unknown = await post("/mj/task/1700000000000998/cancel");
    expect(unknown.status).toBe(404);
    expectMjEnvelope(unknown.body, 3);
  });
});

describe("accounts", () => {
  const FIELDS = [
    "id",
    "channelId",
    "guildId",
    "enable",
    "coreSize",
    "queueSize",
    "timeoutMinutes",
    "remix",
    "modes",
    "runningCount",
    "queuedCount",
    "disabledReason",
  ].sort();

  it("lists accounts with the whitelisted fields only, never a token", async () => {
    // A registry entry carrying a secret it should not: the view still cannot show it.
    const raw = JSON.parse((await h.redis.hget(h.keys.accounts, "a1"))!);
    await h.redis.hset(
      h.keys.accounts,
      "a1",
      JSON.stringify({ ...raw, token: "SECRET-TOKEN", userToken: "X" }),
    );
    const response = await fetch(`${h.url}/mj/account/list`);
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(text).not.toContain("SECRET-TOKEN");
    const body = JSON.parse(text);
    expect(body).toHaveLength(1);
    expect(Object.keys(body[0]).sort()).toEqual(FIELDS);
    expect(body[0]).toMatchObject({
      id: "a1",
      channelId: "111",
      guildId: "222",
      enable: true,
      coreSize: 3,
      queueSize: 10,
      timeoutMinutes: 10,
      remix: true,
      modes: ["FAST", "RELAX"],
      disabledReason: null,
    });
  });

  it("fetches one account, and answers 404 code 3 for an unknown one", async () => {
    const { status, body } = await get("/mj-relax/mj/account/a1/fetch");
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(FIELDS);
    const unknown = await get("/mj/account/nope/fetch");
    expect(unknown.status).toBe(404);
    expectMjEnvelope(unknown.body, 3);
  });
});

describe("auth on the read routes", () => {
  it("asks for the secret in mj-api-secret or a Bearer header", async () => {
    const guarded = await startApi({ apiSecret: "s3cret-value" });
    try {
      const record = await h.api.store.get((await mjRecord())._id);
      expect(record).not.toBeNull();
      const paths = ["/mj/task/list", "/mj/account/list", "/mj/task/queue"];
      for (const path of paths) {
        const denied = await fetch(`${guarded.url}${path}`);
        expect(denied.status, path).toBe(401);
        expectMjEnvelope(await json(denied), 4);
        const byHeader = await fetch(`${guarded.url}${path}`, {
          headers: { "mj-api-secret": "s3cret-value" },
        });
        expect(byHeader.status, path).toBe(200);
        const byBearer = await fetch(`${guarded.url}${path}`, {
          headers: { authorization: "Bearer s3cret-value" },
        });
        expect(byBearer.status, path).toBe(200);
      }
    } finally {
      await guarded.close();
    }
  });
});

describe("OpenAPI", () => {
  it("documents every /mj read route under the mj tag, with the Task JSON schema", async () => {
    const doc = await json(await fetch(`${h.url}/docs/json`));
    const routes: [string, string][] = [
      ["/mj/task/{id}/fetch", "get"],
      ["/mj/task/list-by-condition", "post"],
      ["/mj/task/list-by-ids", "post"],
      ["/mj/task/list", "get"],
      ["/mj/task/queue", "get"],
      ["/mj/task/{id}/image-seed", "get"],
      ["/mj/task/{id}/cancel", "post"],
      ["/mj/account/list", "get"],
      ["/mj/account/{id}/fetch", "get"],
      ["/mj-fast/mj/task/{id}/fetch", "get"],
    ];
    for (const [path, method] of routes) {
      const operation = doc.paths[path]?.[method];
      expect(operation?.tags, `${method} ${path}`).toEqual(["mj"]);
    }
    const fetchSchema =
      doc.paths["/mj/task/{id}/fetch"].get.responses["200"].content["application/json"].schema;
    expect(Object.keys(fetchSchema.properties)).toEqual(
      expect.arrayContaining(["id", "status", "progress", "buttons"]),
    );
  });
});

import { indexedTaskCount } from "@mjg/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { accountStatus, type Harness, json, startApi, taskKeys } from "./harness.js";

let h: Harness;
beforeEach(async () => {
  h = await startApi();
});
afterEach(() => h.close());

const RECORD_FIELDS = [
  "_id",
  "index",
  "action",
  "prompt",
  "promptEn",
  "taskId",
  "uri",
  "hash",
  "content",
  "progress",
  "description",
  "submitTime",
  "finishTime",
  "state",
  "notifyHook",
  "imageUrl",
  "status",
];

async function submit(init: {
  query?: string;
  body?: string | URLSearchParams | FormData;
  headers?: Record<string, string>;
}) {
  const response = await fetch(`${h.url}/api/v1/trigger/submit${init.query ? `?${init.query}` : ""}`, {
    method: init.body === undefined ? "GET" : "POST",
    body: init.body,
    headers: init.headers,
  });
  return { status: response.status, body: await json(response) };
}

async function fetchTask(id: string) {
  const response = await fetch(`${h.url}/api/v1/task/fetch?_id=${id}`);
  return { status: response.status, body: await json(response) };
}

describe("submitting a task in every form the seed accepts", () => {
  it("accepts a GET with the query string and answers the seed's success envelope", async () => {
    const { status, body } = await submit({ query: "action=IMAGINE&prompt=a%20red%20cat&state=abc" });
    expect(status).toBe(200);
    expect(Object.keys(body)).toEqual(["code", "description", "result"]);
    expect(body.code).toBe(1);
    expect(body.description).toBe("成功");
    const task = (await fetchTask(body.result)).body;
    expect(task.prompt).toBe("a red cat");
    expect(task.state).toBe("abc");
  });

  it("accepts a POST with a JSON body", async () => {
    const { body } = await submit({
      body: JSON.stringify({ action: "IMAGINE", prompt: "json cat", notifyHook: "https://example.com/hook" }),
      headers: { "content-type": "application/json" },
    });
    const task = (await fetchTask(body.result)).body;
    expect(task.prompt).toBe("json cat");
    expect(task.notifyHook).toBe("https://example.com/hook");
  });

  it("accepts a POST with an urlencoded body", async () => {
    const { body } = await submit({ body: new URLSearchParams({ action: "IMAGINE", prompt: "form cat" }) });
    expect((await fetchTask(body.result)).body.prompt).toBe("form cat");
  });

  it("accepts a POST with a multipart form", async () => {
    const form = new FormData();
    form.set("action", "IMAGINE");
    form.set("prompt", "multipart cat");
    form.set("state", "m1");
    const { body } = await submit({ body: form });
    const task = (await fetchTask(body.result)).body;
    expect(task.prompt).toBe("multipart cat");
    expect(task.state).toBe("m1");
  });

  it("lets the body win over the query string", async () => {
    const { body } = await submit({
      query: "action=IMAGINE&prompt=from-query",
      body: JSON.stringify({ prompt: "from-body" }),
      headers: { "content-type": "application/json" },
    });
    expect((await fetchTask(body.result)).body.prompt).toBe("from-body");
  });

  it("keeps every field of the seed's task record", async () => {
    const { body } = await submit({ query: "action=IMAGINE&prompt=fields" });
    const task = (await fetchTask(body.result)).body;
    for (const field of RECORD_FIELDS) expect(task).toHaveProperty(field);
    expect(task).toMatchObject({
      _id: body.result,
      action: "IMAGINE",
      status: "NOT_START",
      promptEn: "fields",
      description: "/imagine fields",
      progress: "0%",
    });
    expect(task.submitTime).toBeTypeOf("number");
    expect(task).not.toHaveProperty("discord");
  });
});

describe("fetching and listing tasks", () => {
  it("fetches by _id from the query or the body, also with the seed's double slash", async () => {
    const { body } = await submit({ query: "action=IMAGINE&prompt=x" });
    const viaBody = await fetch(`${h.url}/api/v1//task/fetch`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ _id: body.result }),
    });
    expect(viaBody.status).toBe(200);
    expect((await json(viaBody))._id).toBe(body.result);
  });

  it("answers 404 in the seed's envelope for an unknown task", async () => {
    const { status, body } = await fetchTask("0123456789abcdef01234567");
    expect(status).toBe(404);
    expect(body).toEqual({ code: 0, description: "no task has this _id" });
  });

  it("answers 400 when _id is missing", async () => {
    const response = await fetch(`${h.url}/api/v1/task/fetch`);
    expect(response.status).toBe(400);
    expect((await json(response)).code).toBe(0);
  });

  it("lists newest first, pages with the next-cursor header and filters by state", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { body } = await submit({ query: `action=IMAGINE&prompt=p${i}&state=${i % 2 ? "odd" : "even"}` });
      ids.push(body.result);
    }
    const first = await fetch(`${h.url}/api/v1//task/list?limit=3`);
    const firstPage = await json(first);
    expect(Array.isArray(firstPage)).toBe(true);
    expect(firstPage.map((t: { _id: string }) => t._id)).toEqual(ids.slice(2).reverse());
    const cursor = first.headers.get("x-next-cursor");
    expect(cursor).toBeTruthy();
    const second = await fetch(`${h.url}/api/v1/task/list`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ limit: 3, cursor }),
    });
    expect((await json(second)).map((t: { _id: string }) => t._id)).toEqual(ids.slice(0, 2).reverse());
    expect(second.headers.get("x-next-cursor")).toBeNull();

    const odd = await json(
      await fetch(`${h.url}/api/v1/task/list?state=odd&status=NOT_START&action=IMAGINE`),
    );
    expect(odd.map((t: { _id: string }) => t._id)).toEqual([ids[3], ids[1]]);
  });

  it("refuses a bad filter or cursor with 400", async () => {
    for (const query of ["status=DONE", "limit=0", "limit=abc", "cursor=nonsense"]) {
      const response = await fetch(`${h.url}/api/v1/task/list?${query}`);
      expect(response.status, query).toBe(400);
      expect((await json(response)).code).toBe(0);
    }
  });
});

describe("UPSCALE and VARIATION follow their parent", () => {
  async function finishedParent(extra: Record<string, unknown> = {}) {
    const { body } = await submit({ query: "action=IMAGINE&prompt=parent" });
    await h.api.store.update(body.result, () => ({
      status: "SUCCESS",
      imageUrl: "http://cdn/x.png",
      ...extra,
    }));
    return body.result as string;
  }

  it("queues an upscale on the parent's account with the seed's description", async () => {
    const parent = await finishedParent();
    const { status, body } = await submit({ query: `action=UPSCALE&taskId=${parent}&index=2` });
    expect(status).toBe(200);
    const task = (await fetchTask(body.result)).body;
    expect(task).toMatchObject({ action: "UPSCALE", index: 2, parentId: parent, accountId: "a1" });
    expect(task.description).toBe(`/up ${parent} U2`);
  });

  it("refuses an unknown parent with 404, an unfinished one with 409, an upscale parent with 400", async () => {
    expect((await submit({ query: "action=VARIATION&taskId=0123456789abcdef01234567&index=1" })).status).toBe(
      404,
    );
    const pending = (await submit({ query: "action=IMAGINE&prompt=pending" })).body.result;
    const unfinished = await submit({ query: `action=VARIATION&taskId=${pending}&index=1` });
    expect(unfinished.status).toBe(409);
    const parent = await finishedParent();
    const upscale = (await submit({ query: `action=UPSCALE&taskId=${parent}&index=1` })).body.result;
    await h.api.store.update(upscale, () => ({ status: "SUCCESS" }));
    expect((await submit({ query: `action=UPSCALE&taskId=${upscale}&index=1` })).status).toBe(400);
  });
});

describe("bad input gets a clear 4xx and writes nothing", () => {
  const cases: [string, { query?: string; body?: string; headers?: Record<string, string> }, number][] = [
    ["malformed JSON", { body: "{bad", headers: { "content-type": "application/json" } }, 400],
    [
      "a wrong type",
      {
        body: JSON.stringify({ action: "IMAGINE", prompt: ["x"] }),
        headers: { "content-type": "application/json" },
      },
      400,
    ],
    [
      "an object as index",
      {
        body: JSON.stringify({ action: "UPSCALE", taskId: "x", index: { a: 1 } }),
        headers: { "content-type": "application/json" },
      },
      400,
    ],
    ["an unknown action", { query: "action=DANCE&prompt=x" }, 400],
    ["a missing action", { query: "prompt=x" }, 400],
    ["a missing prompt", { query: "action=IMAGINE" }, 400],
    ["a blank prompt", { query: "action=IMAGINE&prompt=%20%20" }, 400],
    ["index=abc", { query: "action=UPSCALE&taskId=0123456789abcdef01234567&index=abc" }, 400],
    ["index=5", { query: "action=UPSCALE&taskId=0123456789abcdef01234567&index=5" }, 400],
    ["a missing parent", { query: "action=VARIATION&index=1" }, 400],
    ["a 100 KB prompt in the query", { query: `action=IMAGINE&prompt=${"a".repeat(100_000)}` }, 400],
    [
      "a 100 KB prompt in JSON",
      {
        body: JSON.stringify({ action: "IMAGINE", prompt: "a".repeat(100_000) }),
        headers: { "content-type": "application/json" },
      },
      400,
    ],
    [
      "a body over the limit",
      {
        body: JSON.stringify({ action: "IMAGINE", prompt: "a".repeat(400_000) }),
        headers: { "content-type": "application/json" },
      },
      413,
    ],
    [
      "a notifyHook that is not http(s)",
      { query: "action=IMAGINE&prompt=x&notifyHook=ftp://example.com/x" },
      400,
    ],
    ["a notifyHook that is not a URL", { query: "action=IMAGINE&prompt=x&notifyHook=nope" }, 400],
    ["an unsupported content type", { body: "<x/>", headers: { "content-type": "application/xml" } }, 415],
  ];

  for (const [name, request, expected] of cases) {
    it(`refuses ${name} with ${expected}`, async () => {
      const { status, body } = await submit(request);
      expect(status).toBe(expected);
      expect(body.code).toBe(0);
      expect(typeof body.description).toBe("string");
      expect(body.description.length).toBeGreaterThan(5);
      expect(await taskKeys(h)).toEqual([]);
      expect(await indexedTaskCount(h.redis, h.keys)).toBe(0);
      expect(await h.redis.zcard(h.keys.accountLoad("a1"))).toBe(0);
    });
  }

  it("answers unknown routes with 404 in the envelope", async () => {
    const response = await fetch(`${h.url}/api/v1/nothing`);
    expect(response.status).toBe(404);
    expect((await json(response)).code).toBe(0);
  });
});

describe("capacity", () => {
  it("refuses with 429 when every account's wait list is full, and with 503 when no account exists", async () => {
    await h.close();
    h = await startApi({ accounts: [accountStatus("small", { concurrency: 1, queueSize: 1 })] });
    expect((await submit({ query: "action=IMAGINE&prompt=1" })).status).toBe(200);
    expect((await submit({ query: "action=IMAGINE&prompt=2" })).status).toBe(200);
    const full = await submit({ query: "action=IMAGINE&prompt=3" });
    expect(full.status).toBe(429);
    expect(full.body.code).toBe(0);
    expect(await taskKeys(h)).toHaveLength(2);

    await h.close();
    h = await startApi({ accounts: [] });
    expect((await submit({ query: "action=IMAGINE&prompt=1" })).status).toBe(503);
  });

  it("spreads new tasks over the least-loaded accounts", async () => {
    await h.close();
    h = await startApi({
      accounts: [accountStatus("x"), accountStatus("y"), accountStatus("z", { enabled: false })],
    });
    const owners = new Map<string, number>();
    for (let i = 0; i < 6; i++) {
      const { body } = await submit({ query: `action=IMAGINE&prompt=${i}` });
      const account = (await fetchTask(body.result)).body.accountId as string;
      owners.set(account, (owners.get(account) ?? 0) + 1);
    }
    expect(Object.fromEntries(owners)).toEqual({ x: 3, y: 3 });
  });

  it("answers queues-full only on loads read afresh: a slot freed a moment ago is taken", async () => {
    await h.close();
    h = await startApi({
      accounts: [
        accountStatus("x", { concurrency: 1, queueSize: 0 }),
        accountStatus("y", { concurrency: 1, queueSize: 0 }),
      ],
    });
    const first = await submit({ query: "action=IMAGINE&prompt=1" });
    const second = await submit({ query: "action=IMAGINE&prompt=2" });
    expect([first.status, second.status]).toEqual([200, 200]);
    // The worker finishes the first task (its slot freed) while this API still counts both full.
    const owner = (await fetchTask(first.body.result)).body.accountId as string;
    await h.directory.release(owner, first.body.result);
    const third = await submit({ query: "action=IMAGINE&prompt=3" });
    expect(third.status).toBe(200);
    expect((await fetchTask(third.body.result)).body.accountId).toBe(owner);
    expect((await submit({ query: "action=IMAGINE&prompt=4" })).status).toBe(429);
  });

  it("leaves no record behind when the job cannot be queued", async () => {
    // A wrong-typed key where BullMQ keeps its wait list makes the enqueue fail inside Redis.
    await h.redis.set(`${h.prefix}:${h.keys.accountQueue("a1")}:wait`, "not a list");
    await h.redis.set(`${h.prefix}:${h.keys.accountQueue("a1")}:meta`, "not a hash");
    const { status, body } = await submit({ query: "action=IMAGINE&prompt=doomed" });
    expect(status).toBeGreaterThanOrEqual(500);
    expect(body.code).toBe(0);
    expect(await taskKeys(h)).toEqual([]);
    expect(await indexedTaskCount(h.redis, h.keys)).toBe(0);
    expect(await h.redis.zcard(h.keys.accountLoad("a1"))).toBe(0);
  });
});

describe("notifyHook guard and callback visibility", () => {
  it("refuses a notifyHook on a private or loopback address unless private targets are allowed", async () => {
    for (const hook of [
      "http://127.0.0.1:9/x",
      "http://[::1]/x",
      "http://10.0.0.1/x",
      "http://169.254.169.254/latest",
    ]) {
      const { status, body } = await submit({
        query: `action=IMAGINE&prompt=x&notifyHook=${encodeURIComponent(hook)}`,
      });
      expect(status, hook).toBe(400);
      expect(body.description).toContain("private");
    }
    expect(await taskKeys(h)).toEqual([]);
    await h.close();
    h = await startApi({ notifyAllowPrivate: true });
    expect((await submit({ query: "action=IMAGINE&prompt=x&notifyHook=http://127.0.0.1:9/x" })).status).toBe(
      200,
    );
  });

  it("shows a task's callback attempts, and 404 for an unknown task", async () => {
    const { body } = await submit({ query: "action=IMAGINE&prompt=x" });
    const attempts = await fetch(`${h.url}/api/v1/task/callbacks?_id=${body.result}`);
    expect(attempts.status).toBe(200);
    expect(await json(attempts)).toEqual([]);
    expect((await fetch(`${h.url}/api/v1/task/callbacks?_id=0123456789abcdef01234567`)).status).toBe(404);
  });
});

describe("banned words and translation", () => {
  it("refuses a prompt with a banned word and names the word", async () => {
    const { BannedWords } = await import("@mjg/translate");
    await h.close();
    h = await startApi({ bannedWords: new BannedWords(["gore", "血腥"]) });
    const refused = await submit({
      query: `action=IMAGINE&prompt=${encodeURIComponent("lots of Gore please")}`,
    });
    expect(refused.status).toBe(400);
    expect(refused.body.description).toContain("gore");
    expect(
      (await submit({ query: `action=IMAGINE&prompt=${encodeURIComponent("一只血腥的猫")}` })).status,
    ).toBe(400);
    expect(await taskKeys(h)).toEqual([]);
    expect((await submit({ query: "action=IMAGINE&prompt=gorgeous" })).status).toBe(200);
  });

  it("fills promptEn through the translator while prompt keeps what the user wrote", async () => {
    await h.close();
    h = await startApi({ translator: { translate: async (text) => (text.includes("猫") ? "a cat" : text) } });
    const { body } = await submit({
      query: `action=IMAGINE&prompt=${encodeURIComponent("一只猫 --ar 16:9")}`,
    });
    const task = (await fetchTask(body.result)).body;
    expect(task.prompt).toBe("一只猫 --ar 16:9");
    expect(task.promptEn).toBe("a cat --ar 16:9");
    expect(task.description).toBe("/imagine a cat --ar 16:9");
  });
});

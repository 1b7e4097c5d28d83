import { indexedTaskCount } from "@mjg/shared";
import { afterEach, describe, expect, it } from "vitest";
import { accountStatus, type Harness, json, startApi } from "./harness.js";

const open: Harness[] = [];
afterEach(async () => {
  // The process that owns the keys closes last: it drops them.
  for (const h of open.splice(0).reverse()) await h.close();
});

async function api(options: Parameters<typeof startApi>[0] = {}): Promise<Harness> {
  const h = await startApi(options);
  open.push(h);
  return h;
}

async function post(h: Harness, path: string, body: unknown, key?: string) {
  const response = await fetch(`${h.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { "idempotency-key": key } : {}) },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    replayed: response.headers.get("idempotent-replayed"),
    body: await json(response),
  };
}

async function jobs(h: Harness, accountId = "a1"): Promise<number> {
  const counts = await h.api.submitter.queueFor(accountId).getJobCounts("wait", "prioritized", "delayed");
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

describe("Idempotency-Key on the seed API", () => {
  it("a retried submit answers the first answer again and creates nothing", async () => {
    const h = await api();
    const body = { action: "IMAGINE", prompt: "a red fox" };
    const first = await post(h, "/api/v1/trigger/submit", body, "order-17");
    expect(first.status).toBe(200);
    expect(first.replayed).toBeNull();
    const again = await post(
      h,
      "/api/v1/trigger/submit",
      { prompt: "a red fox", action: "IMAGINE" },
      "order-17",
    );
    expect(again).toMatchObject({ status: 200, replayed: "true", body: first.body });
    expect(await indexedTaskCount(h.redis, h.keys)).toBe(1);
    expect(await jobs(h)).toBe(1);
  });

  it("the idempotencyKey field works where headers cannot be set (JSON body or query string)", async () => {
    const h = await api();
    const first = await post(h, "/api/v1/trigger/submit", {
      action: "IMAGINE",
      prompt: "a boat",
      idempotencyKey: "k-1",
    });
    const again = await fetch(
      `${h.url}/api/v1/trigger/submit?action=IMAGINE&prompt=a%20boat&idempotencyKey=k-1`,
    );
    expect(await json(again)).toEqual(first.body);
    expect(await indexedTaskCount(h.redis, h.keys)).toBe(1);
  });

  it("the same key with another body answers 409 in the seed envelope, nothing created", async () => {
    const h = await api();
    await post(h, "/api/v1/trigger/submit", { action: "IMAGINE", prompt: "one" }, "k");
    const other = await post(h, "/api/v1/trigger/submit", { action: "IMAGINE", prompt: "two" }, "k");
    expect(other.status).toBe(409);
    expect(other.body).toEqual({ code: 0, description: expect.stringMatching(/Idempotency-Key/) });
    expect(await indexedTaskCount(h.redis, h.keys)).toBe(1);
  });

  it("a refused submit keeps nothing under its key: the retry runs once there is room", async () => {
    const h = await api({ accounts: [accountStatus("a1", { concurrency: 1, queueSize: 0 })] });
    const taken = await post(h, "/api/v1/trigger/submit", { action: "IMAGINE", prompt: "first" });
    const full = await post(h, "/api/v1/trigger/submit", { action: "IMAGINE", prompt: "second" }, "retry-me");
    expect(full.status).toBe(429);
    await h.directory.release("a1", taken.body.result);
    const retried = await post(
      h,
      "/api/v1/trigger/submit",
      { action: "IMAGINE", prompt: "second" },
      "retry-me",
    );
    expect(retried).toMatchObject({ status: 200, replayed: null });
  });

  it("a key that is not 1–255 visible characters is refused", async () => {
    const h = await api();
    const answer = await post(
      h,
      "/api/v1/trigger/submit",
      { action: "IMAGINE", prompt: "x" },
      "x".repeat(256),
    );
    expect(answer.status).toBe(400);
    expect(await indexedTaskCount(h.redis, h.keys)).toBe(0);
  });
});

describe("Idempotency-Key on the /mj API", () => {
  it("replays the /mj envelope; another body, or another route, answers 409 with code 4", async () => {
    const h = await api();
    const first = await post(h, "/mj/submit/imagine", { prompt: "a cat" }, "mj-1");
    expect(first.body.code).toBe(1);
    const again = await post(h, "/mj/submit/imagine", { prompt: "a cat" }, "mj-1");
    expect(again).toMatchObject({ status: 200, replayed: "true", body: first.body });
    for (const [path, body] of [
      ["/mj/submit/imagine", { prompt: "a dog" }],
      ["/mj-fast/mj/submit/imagine", { prompt: "a cat" }],
      ["/mj/submit/shorten", { prompt: "a cat" }],
    ] as const) {
      const refused = await post(h, path, body, "mj-1");
      expect(refused.status, path).toBe(409);
      expect(refused.body).toMatchObject({ code: 4, result: null });
    }
    const field = await post(h, "/mj/submit/imagine", { prompt: "a cat", idempotencyKey: "mj-1" });
    expect(field.body).toEqual(first.body);
    expect(await indexedTaskCount(h.redis, h.keys)).toBe(1);
  });
});

describe("concurrent duplicates across API processes", () => {
  it("twenty at once over two API processes on the same Redis: one task, one job, one answer", async () => {
    const a = await api();
    const b = await api({ sharePrefix: a.prefix });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        post(i % 2 === 0 ? a : b, "/api/v1/trigger/submit", { action: "IMAGINE", prompt: "once" }, "dup-1"),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
    expect(new Set(answers.map((answer) => answer.body.result)).size).toBe(1);
    expect(answers.filter((answer) => answer.replayed === null)).toHaveLength(1);
    expect(await indexedTaskCount(a.redis, a.keys)).toBe(1);
    expect(await jobs(a)).toBe(1);

    const mj = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        post(i % 2 === 0 ? a : b, "/mj/submit/imagine", { prompt: "p" }, "dup-2"),
      ),
    );
    expect(new Set(mj.map((answer) => answer.body.result)).size).toBe(1);
    expect(await indexedTaskCount(a.redis, a.keys)).toBe(2);
    expect(await jobs(a)).toBe(2);
  });
});

import type { ChildProcess } from "node:child_process";
import { freePort, startRedisServer, until } from "@mjg/shared/testing";
import { afterEach, describe, expect, it } from "vitest";
import { accountStatus, type Harness, json, startApi } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function call(path: string, body?: unknown) {
  const response = await fetch(`${h!.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    body: await json(response),
  };
}

const imagine = { action: "IMAGINE", prompt: "a lighthouse" };

describe("Retry-After on every 429 and 503", () => {
  it("queues full: 429 on the seed API and on every /mj prefix", async () => {
    h = await startApi({ accounts: [accountStatus("a1", { concurrency: 1, queueSize: 0 })] });
    const first = await call("/api/v1/trigger/submit", imagine);
    expect(first.status).toBe(200);
    for (const answer of [
      await call("/api/v1/trigger/submit", imagine),
      await call("/mj/submit/imagine", { prompt: "x" }),
      await call("/mj-relax/mj/submit/imagine", { prompt: "x" }),
    ]) {
      expect(answer.status).toBe(429);
      expect(answer.retryAfter).toBe("5");
    }
  });

  it("no usable account (503 on the seed API)", async () => {
    h = await startApi({ accounts: [accountStatus("off", { enabled: false })] });
    const answer = await call("/api/v1/trigger/submit", imagine);
    expect(answer).toMatchObject({ status: 503, retryAfter: "5" });
    expect(answer.body.code).toBe(0);
  });

  it("Redis away: 503 with Retry-After on submits, reads, capacity and /readyz", async () => {
    const port = await freePort();
    let redisProcess: ChildProcess | undefined = await startRedisServer(port);
    try {
      h = await startApi({ redisUrl: `redis://127.0.0.1:${port}/3` });
      redisProcess.kill("SIGKILL");
      redisProcess = undefined;
      await until(
        () => call("/api/v1/task/fetch?_id=x"),
        (answer) => answer.status === 503,
      );
      for (const path of [
        "/api/v1/task/fetch?_id=x",
        "/api/v1/capacity",
        "/mj/task/1/fetch",
        "/mj/capacity",
        "/readyz",
      ]) {
        const answer = await call(path);
        expect(answer, path).toMatchObject({ status: 503, retryAfter: "5" });
      }
      const submit = await call("/api/v1/trigger/submit", imagine);
      expect(submit).toMatchObject({ status: 503, retryAfter: "5" });
    } finally {
      redisProcess?.kill("SIGKILL");
    }
  });
});

describe("the account pool's room", () => {
  it("shows free slots, queued and running tasks in total and per speed mode", async () => {
    h = await startApi({
      accounts: [
        accountStatus("fast", { concurrency: 3, queueSize: 10, modes: ["FAST"] }),
        accountStatus("relax", { concurrency: 2, queueSize: 1, modes: ["RELAX"] }),
        accountStatus("off", { concurrency: 5, queueSize: 5, enabled: false }),
      ],
    });
    const empty = await call("/api/v1/capacity");
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({
      free: 16,
      queued: 0,
      running: 0,
      accounts: 2,
      modes: {
        FAST: { free: 13, queued: 0, running: 0 },
        RELAX: { free: 3, queued: 0, running: 0 },
        TURBO: { free: 0, queued: 0, running: 0 },
      },
    });
    for (let i = 0; i < 2; i++)
      expect((await call("/mj-fast/mj/submit/imagine", { prompt: `x${i}` })).body.code).toBe(1);
    // The worker marks one of them running on Midjourney's side.
    const [id] = await h.redis.zrange(h.keys.accountLoad("fast"), 0, 0);
    await h.redis.zadd(h.keys.accountRunning("fast"), Date.now() + 60_000, id!);

    const after = await call("/api/v1/capacity");
    expect(after.body).toMatchObject({
      free: 14,
      queued: 1,
      running: 1,
      modes: { FAST: { free: 11, queued: 1, running: 1 }, RELAX: { free: 3, queued: 0, running: 0 } },
    });
    expect((await call("/mj/capacity")).body).toEqual(after.body);
  });
});

import type { ChildProcess } from "node:child_process";
import { freePort, json, startRedisServer, until } from "@mjg/shared/testing";
import { afterAll, describe, expect, it } from "vitest";
import { accountStatus, type Harness, startApi } from "./harness.js";

describe("when Redis goes away", () => {
  let redisProcess: ChildProcess | undefined;
  let h: Harness | undefined;
  afterAll(async () => {
    await h?.close();
    redisProcess?.kill("SIGKILL");
  });

  it("answers 503 at once instead of hanging, and recovers by itself when Redis is back", async () => {
    const port = await freePort();
    redisProcess = await startRedisServer(port);
    h = await startApi({ redisUrl: `redis://127.0.0.1:${port}/2` });
    const submit = () =>
      fetch(`${h!.url}/api/v1/trigger/submit?action=IMAGINE&prompt=x`, {
        signal: AbortSignal.timeout(10_000),
      });
    expect((await submit()).status).toBe(200);

    redisProcess.kill("SIGKILL");
    await until(async () => (await submit()).status === 503, Boolean);
    const down = await submit();
    expect(down.status).toBe(503);
    expect(await json(down)).toEqual({ code: 0, description: expect.stringContaining("Redis") });
    const fetchDown = await fetch(`${h.url}/api/v1/task/fetch?_id=x`, {
      signal: AbortSignal.timeout(10_000),
    });
    expect(fetchDown.status).toBe(503);
    expect((await fetch(`${h.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);

    redisProcess = await startRedisServer(port);
    // A fresh Redis has lost the registry: workers re-announce their accounts; stand in for one here.
    await until(async () => h!.redis.status === "ready", Boolean);
    await h.directory.put(accountStatus("a1"));
    await until(async () => (await submit()).status === 200, Boolean);
    expect((await fetch(`${h.url}/readyz`)).status).toBe(200);
  });
});

describe("the API secret", () => {
  it("guards every API route but health when MJ_API_SECRET is set", async () => {
    const secured = await startApi({ apiSecret: "s3cret-value" });
    try {
      const url = `${secured.url}/api/v1/task/list`;
      const missing = await fetch(url);
      expect(missing.status).toBe(401);
      expect((await json(missing)).code).toBe(0);
      expect((await fetch(url, { headers: { "mj-api-secret": "wrong-value!" } })).status).toBe(401);
      expect((await fetch(url, { headers: { "mj-api-secret": "s3cret-value" } })).status).toBe(200);
      expect((await fetch(url, { headers: { authorization: "Bearer s3cret-value" } })).status).toBe(200);
      expect((await fetch(`${secured.url}/healthz`)).status).toBe(200);
    } finally {
      await secured.close();
    }
  });
});

describe("API documentation", () => {
  it("serves an OpenAPI document describing the seed routes", async () => {
    const docs = await startApi();
    try {
      const response = await fetch(`${docs.url}/docs/json`);
      expect(response.status).toBe(200);
      const document = await json(response);
      expect(Object.keys(document.paths)).toEqual(
        expect.arrayContaining(["/api/v1/trigger/submit", "/api/v1/task/fetch", "/api/v1/task/list"]),
      );
      expect(document.paths["/api/v1/trigger/submit"].post).toBeDefined();
      expect((await fetch(`${docs.url}/docs`)).status).toBeLessThan(400);
    } finally {
      await docs.close();
    }
  });
});

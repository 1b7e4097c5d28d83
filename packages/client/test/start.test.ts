import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { dropPrefix, testRedis, uniquePrefix } from "@mjg/shared/testing";
import { describe, expect, it } from "vitest";
import { chooseRedis, NoRedisError, onPath, redisAnswers } from "../../../scripts/sandbox-redis.js";

const ROOT = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const DEAD = "redis://127.0.0.1:1";

function recorder() {
  const lines: string[] = [];
  return {
    lines,
    log: { info: (m: string) => lines.push(`info ${m}`), warn: (m: string) => lines.push(`warn ${m}`) },
  };
}

describe("pnpm start finds a Redis for the sandbox", () => {
  it.skipIf(!onPath("redis-server"))(
    "nothing on the default address: a private redis-server on a free port, stopped on request",
    async () => {
      const { lines, log } = recorder();
      const choice = await chooseRedis({ PATH: process.env.PATH }, log, { defaultUrl: DEAD });
      expect(choice.private).not.toBeNull();
      expect(choice.url).toBe(`redis://127.0.0.1:${choice.private!.port}`);
      expect(lines).toEqual([
        expect.stringMatching(/^info nothing answers .*started a private redis-server/),
      ]);
      expect((await redisAnswers(choice.url)).ok).toBe(true);
      choice.private!.stop();
      await expect.poll(async () => (await redisAnswers(choice.url, 300)).ok).toBe(false);
      expect(existsSync(choice.private!.dir)).toBe(false);
    },
  );

  it("no redis-server on PATH: stops with how to get one", async () => {
    const error = await chooseRedis({ PATH: "/nonexistent" }, recorder().log, { defaultUrl: DEAD }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(NoRedisError);
    expect(error.message).toMatch(/apt-get install redis-server/);
    expect(error.message).toMatch(/brew install redis/);
    expect(error.message).toMatch(/docker run/);
    expect(error.message).toMatch(/REDIS_URL=/);
  });

  it("an explicit REDIS_URL that does not answer is reported on every retry, its password hidden", async () => {
    const { lines, log } = recorder();
    const error = await chooseRedis({ REDIS_URL: "redis://:hunter2@127.0.0.1:1" }, log, {
      retryMs: 10,
      maxAttempts: 3,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(NoRedisError);
    expect(lines).toHaveLength(2);
    for (const line of lines)
      expect(line).toMatch(/^warn Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1\/? does not answer/);
    expect(JSON.stringify(lines) + error.message).not.toContain("hunter2");
  });

  it("a Redis on the default address is used as it is", async () => {
    const choice = await chooseRedis({}, recorder().log, { defaultUrl: "redis://127.0.0.1:6379" });
    expect(choice).toEqual({ url: "redis://127.0.0.1:6379", private: null });
  });
});

describe("pnpm start output", () => {
  it("without a terminal: JSON logs ending in one 'ready' line with the URLs and a first command", async () => {
    const prefix = uniquePrefix("start");
    const child = execFile(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: "0",
        HOST: "127.0.0.1",
        MJ_KEY_PREFIX: prefix,
        LOG_FORMAT: "",
        REDIS_URL: "",
      },
    });
    let stdout = "";
    child.stdout!.on("data", (chunk) => {
      stdout += chunk;
    });
    try {
      await expect.poll(() => stdout.includes('"msg":"ready"'), { timeout: 30_000 }).toBe(true);
      const lines = stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line));
      const ready = lines.filter((line) => line.msg === "ready");
      expect(ready).toHaveLength(1);
      expect(ready[0]).toMatchObject({
        mode: "sandbox",
        api: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        docs: expect.stringMatching(/\/docs$/),
        queues: expect.stringMatching(/\/admin\/queues$/),
        try: expect.stringMatching(/pnpm mjg imagine/),
      });
      const docs = await fetch(ready[0].docs);
      expect(docs.status).toBe(200);
    } finally {
      child.kill("SIGTERM");
      await new Promise((done) => child.once("exit", done));
      const redis = testRedis();
      await dropPrefix(redis, prefix);
      redis.disconnect();
    }
  });
});

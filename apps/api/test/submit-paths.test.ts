import type { ChildProcess } from "node:child_process";
import { type AccountJob, connectRedis, indexedTaskCount, jobTaskIds } from "@mjg/shared";
import { freePort, startRedisServer, until } from "@mjg/shared/testing";
import { Worker } from "bullmq";
import { afterEach, describe, expect, it } from "vitest";
import { accountStatus, type Harness, startApi, submitImagine } from "./harness.js";

let h: Harness | undefined;
let redisProcess: ChildProcess | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  redisProcess?.kill("SIGKILL");
  redisProcess = undefined;
});

const submit = (prompt: string) => submitImagine(h!, prompt);

async function queuedJobs(accountId = "a1"): Promise<number> {
  const counts = await h!.api.submitter.queueFor(accountId).getJobCounts("wait", "active", "prioritized");
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

describe("the submit path on one Redis server (record and job sent together)", () => {
  it("a worker never finds a job before its record, even with submits racing", async () => {
    h = await startApi({ accounts: [accountStatus("a1", { queueSize: 1_000 })] });
    const missing: string[] = [];
    const seen: string[] = [];
    const connection = connectRedis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", {
      forBullWorker: true,
    });
    const worker = new Worker<AccountJob>(
      h.keys.accountQueue("a1"),
      async (job) => {
        // A task's own job, or a tasks job for a moment that gathered many.
        for (const taskId of jobTaskIds(job)) {
          seen.push(taskId);
          if (!(await h!.api.store.get(taskId))) missing.push(taskId);
        }
      },
      { connection, prefix: h.keys.prefix, concurrency: 50 },
    );
    try {
      const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => submit(`race ${i}`)));
      expect(answers.every((answer) => answer.status === 200)).toBe(true);
      await until(
        async () => seen.length,
        (n) => n >= 200,
      );
      expect(missing).toEqual([]);
    } finally {
      await worker.close();
      connection.disconnect();
    }
  });

  it("Redis receives each task's record before its job (the order MONITOR shows)", async () => {
    h = await startApi({ accounts: [accountStatus("a1", { queueSize: 1_000 })] });
    const plain = connectRedis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { name: "monitor" });
    const monitor = await plain.monitor();
    const lines: string[] = [];
    monitor.on("monitor", (_time: string, args: string[]) => {
      if (args.some((arg) => arg.includes(h!.prefix))) lines.push(args.join(" "));
    });
    try {
      const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => submit(`order ${i}`)));
      const ids = answers.map((answer) => answer.body.result as string);
      // Every task's job is in: its own job's key or a tasks job's data names it, outside the script.
      await until(
        async () =>
          ids.filter((id) => lines.some((line) => line.includes(id) && !line.includes(`:task:{${id}}`)))
            .length,
        (n) => n === ids.length,
      );
      for (const id of ids) {
        const first = lines.find((line) => line.includes(id));
        // The first command naming the task is the script writing its record, not the job's add.
        expect(first, id).toContain(`:task:{${id}}`);
      }
    } finally {
      monitor.disconnect();
      plain.disconnect();
    }
  });

  it("a refused submit leaves no job behind", async () => {
    h = await startApi({ accounts: [accountStatus("a1", { concurrency: 1, queueSize: 1 })] });
    expect((await submit("one")).status).toBe(200);
    expect((await submit("two")).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await submit(`over ${i}`)).status).toBe(429);
    expect(await queuedJobs()).toBe(2);
    expect(await indexedTaskCount(h.redis, h.keys)).toBe(2);
  });

  it("a Redis that lost its scripts (restarted, SCRIPT FLUSH) still gets one task with one job", async () => {
    const port = await freePort();
    redisProcess = await startRedisServer(port);
    h = await startApi({ redisUrl: `redis://127.0.0.1:${port}` });
    expect((await submit("before")).status).toBe(200);
    await h.redis.script("FLUSH");
    const after = await submit("after");
    expect(after.status).toBe(200);
    expect(await h.api.store.get(after.body.result)).toMatchObject({ prompt: "after" });
    expect(await indexedTaskCount(h.redis, h.keys)).toBe(2);
    expect(await queuedJobs()).toBe(2);
  });
});

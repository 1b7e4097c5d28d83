import { ERRORS, indexedTaskCount, isCluster, jobTaskIds, TASK_JOB_NAME, TASKS_JOB_NAME } from "@mjg/shared";
import { testRecord } from "@mjg/shared/testing";
import { afterEach, describe, expect, it } from "vitest";
import { CreateBatcher } from "../src/submit/batcher.js";
import { accountStatus, type Harness, json, startApi } from "./harness.js";

let h: Harness;
afterEach(() => h.close());

async function batch(body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${h.url}/api/v1/trigger/submit-batch`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await json(response) };
}

describe("POST /api/v1/trigger/submit-batch", () => {
  it("answers one result per task in order; refused tasks refuse no other", async () => {
    h = await startApi({ accounts: [accountStatus("a1", { queueSize: 100 })] });
    const { status, body } = await batch({
      tasks: [
        { action: "IMAGINE", prompt: "a red fox" },
        { action: "IMAGINE" },
        { action: "DANCE", prompt: "x" },
        { action: "UPSCALE", taskId: "0123456789abcdef01234567", index: 1 },
        { action: "IMAGINE", prompt: "a blue whale", state: "w" },
        { action: "IMAGINE", prompt: "x".repeat(7_000) },
      ],
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({ code: 1, description: "成功" });
    const results = body.result as { code: number; description: string; result: string | null }[];
    expect(results.map((r) => r.code)).toEqual([1, 0, 0, 0, 1, 0]);
    expect(results[1]!.description).toBe(ERRORS.PROMPT_REQUIRED.message);
    expect(results[2]!.description).toBe(ERRORS.UNKNOWN_ACTION.message);
    expect(results[3]!.description).toBe(ERRORS.PARENT_NOT_FOUND.message);
    expect(results[5]!.description).toMatch(ERRORS.PROMPT_TOO_LONG.message);
    for (const r of results) expect(Object.keys(r)).toEqual(["code", "description", "result"]);
    const whale = await json(await fetch(`${h.url}/api/v1/task/fetch?_id=${results[4]!.result}`));
    expect(whale).toMatchObject({ prompt: "a blue whale", state: "w", status: "NOT_START" });
    expect(await indexedTaskCount(h.redis, h.keys)).toBe(2);
  });

  it("takes what fits when the queues fill up mid-batch and refuses the rest with the 429 reason", async () => {
    h = await startApi({ accounts: [accountStatus("a1", { concurrency: 2, queueSize: 1 })] });
    const tasks = Array.from({ length: 5 }, (_, i) => ({ action: "IMAGINE", prompt: `p${i}` }));
    const { body } = await batch({ tasks });
    const codes = (body.result as { code: number; description: string }[]).map((r) => r.code);
    expect(codes.filter((code) => code === 1)).toHaveLength(3);
    for (const r of body.result as { code: number; description: string }[])
      if (r.code === 0) expect(r.description).toBe(ERRORS.QUEUES_FULL.message);
  });

  it("a batch of 100 queues each accepted task once on its account, none of the refused (one tasks job per account on one Redis)", async () => {
    h = await startApi({
      accounts: [
        accountStatus("a1", { concurrency: 3, queueSize: 27 }),
        accountStatus("a2", { concurrency: 3, queueSize: 27 }),
      ],
    });
    const tasks = Array.from({ length: 100 }, (_, i) => ({ action: "IMAGINE", prompt: `p${i}` }));
    const { body } = await batch({ tasks });
    const results = body.result as { code: number; result: string | null }[];
    const accepted = results.filter((r) => r.code === 1).map((r) => r.result!);
    expect(accepted).toHaveLength(60);
    const queued: string[] = [];
    for (const account of ["a1", "a2"]) {
      const jobs = await h.api.submitter.queueFor(account).getJobs(["wait", "prioritized"]);
      // A cluster writes each record apart from its account's slot, and queues each task's own job.
      if (!isCluster(h.redis)) expect(jobs.map((job) => job.name)).toEqual([TASKS_JOB_NAME]);
      const taskIds = jobs.flatMap((job) => jobTaskIds(job));
      expect(taskIds).toHaveLength(30);
      for (const taskId of taskIds) {
        const task = await json(await fetch(`${h.url}/api/v1/task/fetch?_id=${taskId}`));
        expect(task.accountId).toBe(account);
        queued.push(taskId);
      }
    }
    expect(queued.sort()).toEqual([...accepted].sort());
  });

  it("spreads its tasks evenly over accounts with room, instead of piling them on one", async () => {
    h = await startApi({
      accounts: ["a1", "a2", "a3"].map((id) => accountStatus(id, { queueSize: 100 })),
    });
    const tasks = Array.from({ length: 30 }, (_, i) => ({ action: "IMAGINE", prompt: `p${i}` }));
    const { body } = await batch({ tasks });
    const perAccount = new Map<string, number>();
    for (const { result } of body.result as { result: string }[]) {
      const task = await json(await fetch(`${h.url}/api/v1/task/fetch?_id=${result}`));
      perAccount.set(task.accountId, (perAccount.get(task.accountId) ?? 0) + 1);
    }
    expect([...perAccount.values()]).toEqual([10, 10, 10]);
  });

  it("a batch too small to share a tasks job queues each task's own job", async () => {
    h = await startApi({ accounts: [accountStatus("a1", { queueSize: 100 })] });
    const tasks = Array.from({ length: 5 }, (_, i) => ({ action: "IMAGINE", prompt: `p${i}` }));
    const { body } = await batch({ tasks });
    const accepted = (body.result as { result: string }[]).map((r) => r.result);
    const jobs = await h.api.submitter.queueFor("a1").getJobs(["wait", "prioritized"]);
    expect(jobs.map((job) => job.name)).toEqual(accepted.map(() => TASK_JOB_NAME));
    expect(jobs.flatMap((job) => jobTaskIds(job)).sort()).toEqual([...accepted].sort());
  });

  // Tasks jobs are the one-Redis path: a cluster queues each task's own job (the test above).
  it.skipIf(Boolean(process.env.REDIS_CLUSTER_NODES))(
    "a tasks job its replicas do not confirm is taken back, and its tasks' writes say so",
    async () => {
      h = await startApi({ accounts: [accountStatus("a1", { queueSize: 100 })] });
      const refusal = new Error("NOREPLICAS 0 of 1 replicas confirmed the write within 1000 ms");
      const batcher = new CreateBatcher({
        store: h.api.store,
        storeImages: async () => undefined,
        queueFor: (accountId) => h.api.submitter.queueFor(accountId),
        confirmQueued: async () => {
          throw refusal;
        },
      });
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          batcher.write({
            record: testRecord({ prompt: `p${i}` }),
            slot: { accountId: "a1", capacity: 100 },
            images: null,
            job: true,
          }),
        ),
      );
      for (const result of results) {
        expect(result.record).toEqual({ status: "fulfilled", value: "created" });
        expect(result.job).toEqual({ status: "rejected", reason: refusal });
      }
      expect(await h.api.submitter.queueFor("a1").getJobCounts("wait", "prioritized")).toEqual({
        wait: 0,
        prioritized: 0,
      });
    },
  );

  it("refuses a body that is not 1–100 tasks as a whole", async () => {
    h = await startApi();
    for (const body of [
      {},
      { tasks: [] },
      { tasks: "x" },
      { tasks: Array(101).fill({ action: "IMAGINE", prompt: "x" }) },
    ]) {
      const answer = await batch(body);
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe(0);
    }
    expect(await indexedTaskCount(h.redis, h.keys)).toBe(0);
  });

  it("a batch retried with its Idempotency-Key is answered again, nothing created twice", async () => {
    h = await startApi();
    const tasks = [
      { action: "IMAGINE", prompt: "one" },
      { action: "IMAGINE", prompt: "two" },
    ];
    const first = await batch({ tasks }, { "idempotency-key": "batch-7" });
    const again = await batch({ tasks }, { "idempotency-key": "batch-7" });
    expect(again.body).toEqual(first.body);
    expect(await indexedTaskCount(h.redis, h.keys)).toBe(2);
  });
});

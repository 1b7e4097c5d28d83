import { keySpace } from "@mjg/shared";
import { afterEach, describe, expect, it } from "vitest";
import { killAll, spawnWorker, type WorkerChild } from "./children.js";
import { type Stack, startStack } from "./harness.js";
import { storedRecord, submitOk, waitFor } from "./helpers.js";

let stack: Stack | undefined;
let children: WorkerChild[] = [];
afterEach(async () => {
  await killAll(children);
  children = [];
  await stack?.close();
  stack = undefined;
});

// Long enough jobs that a process can die while one is running.
const LONG_JOB = { progressSteps: Array.from({ length: 20 }, (_, i) => i * 5) };
const TOLERANCE_MS = 5;

async function leaseOwner(s: Stack, accountId: string): Promise<string | null> {
  return s.redis.get(keySpace(s.prefix).accountLease(accountId));
}

async function submitMany(s: Stack, count: number, label: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++)
    ids.push(await submitOk(s, { action: "IMAGINE", prompt: `${label} number ${i}` }));
  return ids;
}

async function statuses(s: Stack, ids: string[]): Promise<string[]> {
  return Promise.all(ids.map(async (id) => (await s.task(id)).status as string));
}

/**
 * One account owned by a child worker process, an in-process heir waiting to take it over, and three
 * tasks running on Midjourney's side.
 */
async function threeTasksRunningOnAChild(
  name: string,
  prompt: string,
  options?: Parameters<typeof spawnWorker>[2],
): Promise<{ stack: Stack; child: WorkerChild; accountId: string; ids: string[] }> {
  stack = await startStack({ workers: 0, stepDelayMs: 20, sim: LONG_JOB });
  const accountId = stack.accounts[0]!.id;
  const child = await spawnWorker(stack, name, options);
  children.push(child);
  expect(child.owned).toEqual([accountId]);
  await stack.startWorker({ workerId: "in-process-heir" });
  const ids = await submitMany(stack, 3, prompt);
  await waitFor(
    "every task IN_PROGRESS",
    async () => (await statuses(stack!, ids)).every((status) => status === "IN_PROGRESS"),
    30_000,
    5,
  );
  return { stack, child, accountId, ids };
}

describe("two worker processes share the accounts", () => {
  it("never run more jobs than an account's concurrency nor send closer than its pacing gap", async () => {
    const minIntervalMs = 150;
    stack = await startStack({
      workers: 0,
      stepDelayMs: 10,
      // Midjourney would run up to 10 at once: only the workers keep an account at 2.
      simAccounts: [{ concurrency: 10 }, { concurrency: 10 }],
      account: { concurrency: 2, minIntervalMs, jitterMs: 0 },
    });
    children.push(await spawnWorker(stack, "child-a"), await spawnWorker(stack, "child-b"));
    // The first process takes both accounts, then hands one to the second.
    await waitFor("each process to own one account", async () => {
      const owners = await Promise.all(stack!.accounts.map((account) => leaseOwner(stack!, account.id)));
      return owners.includes("child-a") && owners.includes("child-b");
    });
    const ids = await submitMany(stack, 12, "a lighthouse");
    const tasks = await Promise.all(ids.map((id) => stack!.waitForTask(id, undefined, 90_000)));
    expect(tasks.map((task) => task.status)).toEqual(ids.map(() => "SUCCESS"));
    const stats = stack.sim.stats();
    expect(stats.totals.interactions).toBe(12);
    expect(stats.totals.duplicateNonces).toBe(0);
    for (const account of stats.accounts) {
      expect(account.maxConcurrentJobs).toBeLessThanOrEqual(2);
      const times = account.interactions.map((interaction) => interaction.at).sort((a, b) => a - b);
      for (let i = 1; i < times.length; i++) {
        expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(minIntervalMs - TOLERANCE_MS);
      }
    }
  });
});

describe("a worker process dies", () => {
  it("kill -9 mid-job: another worker takes the account over and resumes, never sending twice", async () => {
    const run = await threeTasksRunningOnAChild("child-doomed", "a ship in a bottle");
    const { child: doomed, accountId, ids, stack: s } = run;
    doomed.process.kill("SIGKILL");
    expect(await doomed.exited).toBe("SIGKILL");

    const tasks = await Promise.all(ids.map((id) => s.waitForTask(id, undefined, 90_000)));
    expect(tasks.map((task) => task.status)).toEqual(["SUCCESS", "SUCCESS", "SUCCESS"]);
    expect(new Set(tasks.map((task) => task.hash)).size).toBe(3);
    expect(await leaseOwner(s, accountId)).toBe("in-process-heir");
    const stats = s.sim.stats();
    expect(stats.totals.duplicateNonces).toBe(0);
    expect(stats.totals.interactions).toBe(3);
    const nonces = stats.accounts[0]!.interactions.map((interaction) => interaction.nonce);
    expect(new Set(nonces).size).toBe(3);
    for (const id of ids) {
      const record = await storedRecord(s, id);
      expect(record.discord.sends).toBe(1);
      expect(nonces).toContain(record.discord.nonce);
    }
  });

  it("kill -9 with more tasks than slots: the next owner resumes the running ones and stays within concurrency", async () => {
    stack = await startStack({
      workers: 0,
      stepDelayMs: 20,
      // Jobs outlast the take-over, so the next owner starts while the orphaned ones still run.
      sim: { progressSteps: Array.from({ length: 100 }, (_, i) => i) },
      simAccounts: [{ concurrency: 10 }],
      account: { concurrency: 2 },
    });
    const doomed = await spawnWorker(stack, "child-doomed");
    children.push(doomed);
    await stack.startWorker({ workerId: "in-process-heir" });

    const ids = await submitMany(stack, 6, "a kettle on a stove");
    await waitFor(
      "two tasks IN_PROGRESS",
      async () => (await statuses(stack!, ids)).filter((status) => status === "IN_PROGRESS").length === 2,
      30_000,
      5,
    );
    doomed.process.kill("SIGKILL");
    expect(await doomed.exited).toBe("SIGKILL");

    const tasks = await Promise.all(ids.map((id) => stack!.waitForTask(id, undefined, 90_000)));
    expect(tasks.map((task) => task.status)).toEqual(ids.map(() => "SUCCESS"));
    const stats = stack.sim.stats();
    expect(stats.totals.duplicateNonces).toBe(0);
    expect(stats.totals.interactions).toBe(6);
    expect(stats.accounts[0]!.maxConcurrentJobs).toBeLessThanOrEqual(2);
  });

  it("SIGTERM with tasks in flight: the process exits 0 and every task still ends in SUCCESS", async () => {
    stack = await startStack({ workers: 0, stepDelayMs: 20, sim: LONG_JOB });
    const accountId = stack.accounts[0]!.id;
    const leaving = await spawnWorker(stack, "child-leaving");
    children.push(leaving);
    expect(leaving.owned).toEqual([accountId]);
    const staying = await spawnWorker(stack, "child-staying");
    children.push(staying);

    const ids = await submitMany(stack, 6, "a garden at noon");
    await waitFor(
      "a task IN_PROGRESS",
      async () => (await statuses(stack!, ids)).includes("IN_PROGRESS"),
      30_000,
      5,
    );
    leaving.process.kill("SIGTERM");
    expect(await leaving.exited).toBe(0);

    const tasks = await Promise.all(ids.map((id) => stack!.waitForTask(id, undefined, 90_000)));
    expect(tasks.map((task) => task.status)).toEqual(ids.map(() => "SUCCESS"));
    const stats = stack.sim.stats();
    expect(stats.totals.duplicateNonces).toBe(0);
    expect(stats.totals.interactions).toBe(6);
  });

  it("SIGTERM with a grace too short to finish: running tasks are handed back and resumed, not resent", async () => {
    const run = await threeTasksRunningOnAChild("child-hasty", "a bridge in the rain", {
      shutdownGraceMs: 0,
    });
    const { child: leaving, ids, stack: s } = run;
    leaving.process.kill("SIGTERM");
    expect(await leaving.exited).toBe(0);

    const tasks = await Promise.all(ids.map((id) => s.waitForTask(id, undefined, 90_000)));
    expect(tasks.map((task) => task.status)).toEqual(["SUCCESS", "SUCCESS", "SUCCESS"]);
    const stats = s.sim.stats();
    expect(stats.totals.duplicateNonces).toBe(0);
    expect(stats.totals.interactions).toBe(3);
  });

  it("tasks handed back on SIGTERM still count against the account's concurrency at the next owner", async () => {
    stack = await startStack({
      workers: 0,
      stepDelayMs: 20,
      // Jobs outlast the hand-over, so the next owner starts while the handed-back ones still run.
      sim: { progressSteps: Array.from({ length: 100 }, (_, i) => i) },
      simAccounts: [{ concurrency: 10 }],
      account: { concurrency: 2 },
    });
    const leaving = await spawnWorker(stack, "child-hasty", { shutdownGraceMs: 0 });
    children.push(leaving);
    await stack.startWorker({ workerId: "in-process-heir" });

    const ids = await submitMany(stack, 6, "a tram at dusk");
    await waitFor(
      "two tasks IN_PROGRESS",
      async () => (await statuses(stack!, ids)).filter((status) => status === "IN_PROGRESS").length === 2,
      30_000,
      5,
    );
    leaving.process.kill("SIGTERM");
    expect(await leaving.exited).toBe(0);

    const tasks = await Promise.all(ids.map((id) => stack!.waitForTask(id, undefined, 90_000)));
    expect(tasks.map((task) => task.status)).toEqual(ids.map(() => "SUCCESS"));
    const stats = stack.sim.stats();
    expect(stats.totals.duplicateNonces).toBe(0);
    expect(stats.totals.interactions).toBe(6);
    expect(stats.accounts[0]!.maxConcurrentJobs).toBeLessThanOrEqual(2);
  });
});

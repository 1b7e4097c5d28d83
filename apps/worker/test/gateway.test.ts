import { afterEach, describe, expect, it } from "vitest";
import { type Stack, startStack } from "./harness.js";
import { accountStatus, countingRelay, sleep, submitOk, waitFor } from "./helpers.js";

let stack: Stack | undefined;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await stack?.close();
  stack = undefined;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

// Enough progress steps that a job is still running when the connection goes away.
const LONG_JOB = { progressSteps: [0, 10, 20, 30, 40, 50, 60, 70, 80, 90] };

async function imagineUntilRunning(s: Stack, prompt: string): Promise<string> {
  const id = await submitOk(s, { action: "IMAGINE", prompt });
  await waitFor("the job to run on Midjourney's side", () => s.sim.stats().totals.runningJobs > 0, 30_000, 2);
  return id;
}

describe("the gateway connection comes and goes while a job runs", () => {
  const resumable: [string, string, (s: Stack) => number][] = [
    ["a dropped socket", "a lantern in the fog", (s) => s.sim.control.dropSocket(s.sim.accounts[0]!)],
    ["op 7 Reconnect", "a lantern on a pier", (s) => s.sim.control.reconnect(s.sim.accounts[0]!)],
  ];
  for (const [disruption, prompt, disrupt] of resumable) {
    it(`${disruption} mid-job is resumed and the task ends in SUCCESS`, async () => {
      stack = await startStack({ stepDelayMs: 20, sim: LONG_JOB });
      const id = await imagineUntilRunning(stack, prompt);
      expect(disrupt(stack)).toBe(1);
      const task = await stack.waitForTask(id);
      expect(task.status).toBe("SUCCESS");
      const gateway = stack.sim.stats().accounts[0]!.gateway;
      expect(gateway.resumes).toBeGreaterThanOrEqual(1);
      expect(gateway.identifies).toBe(1);
      expect(stack.sim.stats().totals.interactions).toBe(1);
    });
  }

  it("op 9 (not resumable) mid-job: a fresh session, the missed result read from the channel, SUCCESS", async () => {
    stack = await startStack({ stepDelayMs: 20, sim: LONG_JOB });
    const id = await imagineUntilRunning(stack, "a lantern in a cave");
    expect(stack.sim.control.invalidateSession(stack.sim.accounts[0]!, false)).toBe(1);
    const task = await stack.waitForTask(id);
    expect(task.status).toBe("SUCCESS");
    expect(task.hash).toMatch(/^[0-9a-f-]{36}$/);
    const gateway = stack.sim.stats().accounts[0]!.gateway;
    expect(gateway.identifies).toBeGreaterThanOrEqual(2);
    expect(stack.sim.stats().totals.interactions).toBe(1);
  });

  it("op 9 (resumable) mid-job is resumed and the task ends in SUCCESS", async () => {
    stack = await startStack({ stepDelayMs: 20, sim: LONG_JOB });
    const id = await imagineUntilRunning(stack, "a lantern on a hill");
    expect(stack.sim.control.invalidateSession(stack.sim.accounts[0]!, true)).toBe(1);
    const task = await stack.waitForTask(id);
    expect(task.status).toBe("SUCCESS");
    expect(stack.sim.stats().accounts[0]!.gateway.resumes).toBeGreaterThanOrEqual(1);
  });
});

describe("an account Discord refuses is taken out of rotation", () => {
  it("a bad token (gateway 4004) disables the account with a reason naming 4004, without reconnecting again and again", async () => {
    stack = await startStack({ workers: 0, account: { token: "not-a-valid-token" } });
    const relay = await countingRelay(stack.sim.gatewayUrl);
    cleanups.push(relay.close);
    await stack.startWorker({ discord: { apiUrl: stack.sim.apiUrl, gatewayUrl: relay.url } });
    const accountId = stack.accounts[0]!.id;
    const status = await waitFor("the account to be disabled", async () => {
      const current = await accountStatus(stack!, accountId);
      return current?.disabledReason ? current : undefined;
    });
    expect(status.disabledReason).toContain("4004");
    expect(JSON.stringify(status)).not.toContain("not-a-valid-token");
    // Several lease rounds and reconnect backoffs later, still no storm of new connections.
    await sleep(4_000);
    expect(relay.connections()).toBeLessThanOrEqual(2);
    expect(stack.sim.stats().totals.gateway.identifies).toBe(0);
    const next = await stack.submit({ action: "IMAGINE", prompt: "a lamp" });
    expect(next.status).toBe(503);
  });

  it("4004 on a live session disables the account and the worker does not identify again", async () => {
    stack = await startStack();
    const account = stack.sim.accounts[0]!;
    await waitFor("the first identify", () => stack!.sim.stats().accounts[0]!.gateway.identifies === 1);
    expect(stack.sim.control.closeSocket(account, 4004)).toBe(1);
    const accountId = stack.accounts[0]!.id;
    const status = await waitFor("the account to be disabled", async () => {
      const current = await accountStatus(stack!, accountId);
      return current?.disabledReason ? current : undefined;
    });
    expect(status.disabledReason).toContain("4004");
    await sleep(4_000);
    const gateway = stack.sim.stats().accounts[0]!.gateway;
    expect(gateway.identifies).toBe(1);
    expect(gateway.connects).toBe(1);
  });
});

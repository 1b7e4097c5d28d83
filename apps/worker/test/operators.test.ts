import { AccountDirectory, keySpace } from "@mjg/shared";
import { until } from "@mjg/shared/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type Stack, startStack } from "./harness.js";

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function admin(path: string, body: object = {}) {
  const response = await fetch(`${stack!.apiUrl}/admin/accounts${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
}

function registry(s: Stack) {
  return new AccountDirectory(s.redis, keySpace(s.prefix));
}

describe("operators taking an account out of rotation at run time", () => {
  it("ends its queued tasks with the reason at once while the task already running still finishes", async () => {
    stack = await startStack({ stepDelayMs: 150, account: { concurrency: 1 } });
    const account = stack.accounts[0]!.id;
    const ids: string[] = [];
    for (const n of [1, 2, 3])
      ids.push((await stack.submit({ action: "IMAGINE", prompt: `queued ${n}` })).body.result);
    await stack.waitForTask(ids[0]!, (task) => task.status === "IN_PROGRESS");

    await admin(`/${account}/disable`, { reason: "maintenance" });
    const [first, second, third] = await Promise.all(ids.map((id) => stack!.waitForTask(id)));
    expect(first.status).toBe("SUCCESS");
    for (const task of [second, third]) {
      expect(task.status).toBe("FAILURE");
      expect(task.failReason).toBe("account disabled: maintenance");
    }
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await stack.submit({ action: "IMAGINE", prompt: "refused" })).status).toBe(503);
  });

  it("takes work again once enabled, with a fresh gateway session after it had disabled itself", async () => {
    stack = await startStack();
    const account = stack.accounts[0]!;
    stack.sim.control.failNext(stack.sim.accounts[0]!, "pending-mod");
    const doomed = await stack.submit({ action: "IMAGINE", prompt: "meets a moderator" });
    expect((await stack.waitForTask(doomed.body.result)).status).toBe("FAILURE");
    await until(
      () => registry(stack!).get(account.id),
      (status) => status?.disabledReason !== null,
    );
    const identifiesBefore = stack.sim.stats().accounts[0]!.gateway.identifies;

    await admin(`/${account.id}/enable`);
    await until(
      async () => stack!.sim.stats().accounts[0]!.gateway.identifies,
      (identifies) => identifies > identifiesBefore,
    );
    await new Promise((resolve) => setTimeout(resolve, 600));
    const again = await stack.submit({ action: "IMAGINE", prompt: "back in rotation" });
    expect(again.status).toBe(200);
    expect((await stack.waitForTask(again.body.result)).status).toBe("SUCCESS");
  });
});

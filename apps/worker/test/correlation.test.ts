import { afterEach, describe, expect, it } from "vitest";
import { type Stack, startStack } from "./harness.js";
import { submitOk } from "./helpers.js";

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe("each task gets its own result", () => {
  it("the same prompt submitted twice at once ends in two SUCCESS tasks with distinct images", async () => {
    stack = await startStack({ stepDelayMs: 10 });
    const prompt = "a red fox in the snow --ar 3:2";
    const [first, second] = await Promise.all([
      submitOk(stack, { action: "IMAGINE", prompt }),
      submitOk(stack, { action: "IMAGINE", prompt }),
    ]);
    const [a, b] = await Promise.all([stack.waitForTask(first), stack.waitForTask(second)]);
    expect(a.status).toBe("SUCCESS");
    expect(b.status).toBe("SUCCESS");
    expect(a.hash).not.toBe(b.hash);
    expect(a.imageUrl).not.toBe(b.imageUrl);
    expect(a.taskId).not.toBe(b.taskId);
    const stats = stack.sim.stats();
    expect(stats.totals.interactions).toBe(2);
    expect(stats.totals.duplicateNonces).toBe(0);
  });

  it("a prompt Midjourney rewrites when echoing (double spaces, em dash, a URL) still ends in SUCCESS", async () => {
    stack = await startStack({ stepDelayMs: 10 });
    const prompt = "https://example.com/ref/cat.png  a  cat   on a   windowsill \u2014ar 2:3";
    const id = await submitOk(stack, { action: "IMAGINE", prompt });
    const task = await stack.waitForTask(id);
    expect(task.status).toBe("SUCCESS");
    expect(task.hash).toMatch(/^[0-9a-f-]{36}$/);
    expect(task.content).toContain("a cat on a windowsill --ar 2:3");
  });

  it("several echo-rewritten prompts at once each end in SUCCESS with their own image", async () => {
    stack = await startStack({ stepDelayMs: 10 });
    const prompts = [
      "a  quiet   harbour \u2014ar 2:3",
      "https://example.com/a.png  a  quiet   harbour \u2014ar 2:3",
      "a quiet harbour at night  \u2014ar 16:9",
    ];
    const ids = await Promise.all(prompts.map((prompt) => submitOk(stack!, { action: "IMAGINE", prompt })));
    const tasks = await Promise.all(ids.map((id) => stack!.waitForTask(id)));
    expect(tasks.map((task) => task.status)).toEqual(["SUCCESS", "SUCCESS", "SUCCESS"]);
    expect(new Set(tasks.map((task) => task.hash)).size).toBe(3);
  });

  it.each([
    ["carries the nonce", true],
    ["carries no nonce (the usual case)", false],
  ])("a final message that %s ends the task in SUCCESS", async (_label, finalWithNonce) => {
    stack = await startStack({ stepDelayMs: 10, sim: { finalWithNonce } });
    const ids = await Promise.all([
      submitOk(stack, { action: "IMAGINE", prompt: "a paper boat on a river" }),
      submitOk(stack, { action: "IMAGINE", prompt: "a paper boat on a river" }),
    ]);
    const tasks = await Promise.all(ids.map((id) => stack!.waitForTask(id)));
    expect(tasks.map((task) => task.status)).toEqual(["SUCCESS", "SUCCESS"]);
    expect(tasks[0].hash).not.toBe(tasks[1].hash);
    const upscale = await submitOk(stack, { action: "UPSCALE", taskId: tasks[0]._id, index: 1 });
    const upscaled = await stack.waitForTask(upscale);
    expect(upscaled.status).toBe("SUCCESS");
    expect(upscaled.imageUrl).not.toBe(tasks[0].imageUrl);
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { type Stack, startStack } from "./harness.js";

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe("a task's whole life against the simulator", () => {
  it("IMAGINE then UPSCALE then VARIATION all end in SUCCESS with the seed's result fields", async () => {
    stack = await startStack();
    const imagine = await stack.submit({ action: "IMAGINE", prompt: "a lighthouse at dawn --ar 3:2" });
    expect(imagine.status).toBe(200);
    const grid = await stack.waitForTask(imagine.body.result);
    expect(grid.status).toBe("SUCCESS");
    expect(grid.progress).toBe("done");
    expect(grid.imageUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(grid.uri).toBe(grid.imageUrl);
    expect(grid.hash).toMatch(/^[0-9a-f-]{36}$/);
    expect(grid.taskId).toMatch(/^\d+$/);
    expect(grid.content).toContain("a lighthouse at dawn");
    expect(grid.finishTime).toBeGreaterThanOrEqual(grid.submitTime);
    const image = await fetch(grid.imageUrl);
    expect(image.status).toBe(200);

    const upscale = await stack.submit({ action: "UPSCALE", taskId: grid._id, index: 2 });
    expect(upscale.status).toBe(200);
    const upscaled = await stack.waitForTask(upscale.body.result);
    expect(upscaled.status).toBe("SUCCESS");
    expect(upscaled.description).toBe(`/up ${grid._id} U2`);
    expect(upscaled.parentId).toBe(grid._id);
    expect(upscaled.imageUrl).not.toBe(grid.imageUrl);

    const variation = await stack.submit({ action: "VARIATION", taskId: grid._id, index: 3 });
    const varied = await stack.waitForTask(variation.body.result);
    expect(varied.status).toBe("SUCCESS");
    expect(varied.hash).not.toBe(grid.hash);

    const stats = stack.sim.stats();
    expect(stats.totals.duplicateNonces).toBe(0);
    expect(stats.totals.interactions).toBe(3);
  });
});

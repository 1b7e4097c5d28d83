import { afterEach, describe, expect, it } from "vitest";
import { killAll, spawnWorker, type WorkerChild } from "./children.js";
import { type Stack, startStack } from "./harness.js";
import { storedRecord, waitFor } from "./helpers.js";
import { button, mjClient } from "./mj-client.js";

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

describe("a worker killed in the middle of a pop-up", () => {
  it("leaves a Custom Zoom that another worker finishes, with one click and one pop-up answer", async () => {
    stack = await startStack({ workers: 0, stepDelayMs: 20, sim: LONG_JOB });
    const child = await spawnWorker(stack, "child-modal");
    children.push(child);
    await stack.startWorker({ workerId: "in-process-heir" });
    const mj = mjClient(stack);

    const grid = await mj.finished(
      (await mj.submitted("/mj/submit/imagine", { prompt: "a walled garden" })).result,
    );
    const upscaleId = (
      await mj.submitted("/mj/submit/action", {
        taskId: grid.id,
        customId: button(grid, (id) => id.startsWith("MJ::JOB::upsample::1::")),
      })
    ).result;
    const upscale = await mj.finished(upscaleId);
    expect(upscale.status).toBe("SUCCESS");
    const zoomButton = button(upscale, (id) => id.startsWith("MJ::CustomZoom::"));
    const zoom = await mj.submitted("/mj/submit/action", { taskId: upscale.id, customId: zoomButton }, [21]);
    await mj.submitted("/mj/submit/modal", { taskId: zoom.result, prompt: "a walled garden --zoom 1.5" });

    // The pop-up has been answered and Midjourney is drawing: the owner dies now.
    await waitFor(
      "the zoom to be drawing",
      async () => (await storedRecord(stack!, zoom.result)).status === "IN_PROGRESS",
    );
    expect((await storedRecord(stack, zoom.result)).discord.modalSentAt).not.toBeNull();
    child.process.kill("SIGKILL");
    await child.exited;

    const done = await mj.finished(zoom.result, 60_000);
    expect(done).toMatchObject({ status: "SUCCESS", action: "ZOOM" });
    const log = stack.sim.stats().accounts[0]!.interactions;
    expect(log.filter((i) => i.type === 3 && i.customId === zoomButton)).toHaveLength(1);
    expect(log.filter((i) => i.type === 5)).toHaveLength(1);
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { type Stack, type StackOptions, startStack } from "./harness.js";
import { type Answer, button, dataUrl, mjClient, png } from "./mj-client.js";

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const client = () => mjClient(stack!);
const mj = (path: string, body?: unknown) => client().call(path, body);
const submitted = (path: string, body: unknown, codes?: number[]) => client().submitted(path, body, codes);
const finished = (id: string) => client().finished(id);

async function imagine(prompt: string): Promise<Answer> {
  const answer = await submitted("/mj/submit/imagine", { prompt });
  const task = await finished(answer.result);
  expect(task.status).toBe("SUCCESS");
  return task;
}

async function click(parent: Answer, customId: string): Promise<Answer> {
  const answer = await submitted("/mj/submit/action", { taskId: parent.id, customId });
  return finished(answer.result);
}

async function start(options: StackOptions = {}): Promise<Stack> {
  stack = await startStack({ stepDelayMs: 5, ...options });
  return stack;
}

describe("every Midjourney button works through /mj/submit/action", () => {
  it("U, then every button of the upscale: HD upscales, Vary, Zoom Out, pans, reroll and ❤️", async () => {
    await start();
    const grid = await imagine("a lighthouse at dawn --v 7");
    expect(grid.action).toBe("IMAGINE");
    expect(grid.progress).toBe("100%");
    expect(grid.properties.messageHash).toMatch(/^[0-9a-f-]{36}$/);
    expect(grid.buttons.map((b: Answer) => b.label)).toEqual(expect.arrayContaining(["U1", "V4"]));

    const upscale = await click(
      grid,
      button(grid, (id) => id.startsWith("MJ::JOB::upsample::2::")),
    );
    expect(upscale).toMatchObject({ status: "SUCCESS", action: "UPSCALE", parentId: grid.id });
    expect(upscale.imageUrl).toMatch(/^http/);
    // The Web link button has no custom id and is not offered.
    expect(upscale.buttons.every((b: Answer) => typeof b.customId === "string" && b.customId !== "")).toBe(
      true,
    );

    const cases: [string, (id: string) => boolean, string][] = [
      ["UPSCALE_HD", (id) => id.includes("upsample_v7_2x_subtle"), "Upscaled (Subtle)"],
      ["UPSCALE_HD", (id) => id.includes("upsample_v7_2x_creative"), "Upscaled (Creative)"],
      ["VARIATION", (id) => id.startsWith("MJ::JOB::high_variation::"), "Variations (Strong)"],
      ["VARIATION", (id) => id.startsWith("MJ::JOB::low_variation::"), "Variations (Subtle)"],
      ["ZOOM", (id) => id.startsWith("MJ::Outpaint::50::"), "Zoom Out"],
      ["PAN", (id) => id.startsWith("MJ::JOB::pan_left::"), "Pan Left"],
    ];
    const children = await Promise.all(cases.map(([, match]) => click(upscale, button(upscale, match))));
    children.forEach((child, i) => {
      const [action, , label] = cases[i]!;
      expect(child, label).toMatchObject({ status: "SUCCESS", action, parentId: upscale.id });
      expect(child.imageUrl).toMatch(/^http/);
    });
    // Each child got its own image, none another's.
    expect(new Set(children.map((child) => child.imageUrl)).size).toBe(children.length);

    const reroll = await click(
      grid,
      button(grid, (id) => id.startsWith("MJ::JOB::reroll::")),
    );
    expect(reroll).toMatchObject({ status: "SUCCESS", action: "IMAGINE" });

    const bookmark = await mj("/mj/submit/action", {
      taskId: upscale.id,
      customId: button(upscale, (id) => id.startsWith("MJ::BOOKMARK::")),
    });
    expect(bookmark.body).toMatchObject({ code: 1, result: upscale.id });
    expect(stack!.sim.stats().totals.duplicateNonces).toBe(0);
  });

  it("botType NIJI_JOURNEY draws with the niji bot, and its buttons are clicked as niji", async () => {
    await start();
    const answer = await submitted("/mj/submit/imagine", {
      prompt: "a paper crane",
      botType: "NIJI_JOURNEY",
    });
    const grid = await finished(answer.result);
    expect(grid).toMatchObject({ status: "SUCCESS", botType: "NIJI_JOURNEY" });
    const upscale = await click(
      grid,
      button(grid, (id) => id.startsWith("MJ::JOB::upsample::2::")),
    );
    expect(upscale).toMatchObject({ status: "SUCCESS", action: "UPSCALE" });
    const log = stack!.sim.stats().accounts[0]!.interactions;
    expect(log.filter((i) => i.commandName === "imagine")).toHaveLength(1);
  });

  it("an upscale of a v6 grid offers v6's Subtle and Creative upscales", async () => {
    await start();
    const grid = await imagine("a copper kettle --v 6");
    const upscale = await click(
      grid,
      button(grid, (id) => id.startsWith("MJ::JOB::upsample::1::")),
    );
    const hd = await click(
      upscale,
      button(upscale, (id) => id.includes("upsample_v6_2x_creative")),
    );
    expect(hd).toMatchObject({ status: "SUCCESS", action: "UPSCALE_HD" });
  });
});

describe("pop-ups never leave a task hanging", () => {
  it("Custom Zoom answers 21 with a MODAL task, and /mj/submit/modal runs the same task id", async () => {
    await start();
    const grid = await imagine("a pine forest");
    const upscale = await click(
      grid,
      button(grid, (id) => id.startsWith("MJ::JOB::upsample::3::")),
    );
    const zoom = await submitted(
      "/mj/submit/action",
      { taskId: upscale.id, customId: button(upscale, (id) => id.startsWith("MJ::CustomZoom::")) },
      [21],
    );
    expect(zoom.description).toMatch(/confirm/i);
    const waiting = (await mj(`/mj/task/${zoom.result}/fetch`)).body;
    expect(waiting.status).toBe("MODAL");
    // Nothing is sent to Discord until the pop-up has its prompt.
    const before = stack!.sim.stats().totals.interactions;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stack!.sim.stats().totals.interactions).toBe(before);

    const modal = await submitted("/mj/submit/modal", {
      taskId: zoom.result,
      prompt: "a pine forest --zoom 1.8",
    });
    expect(modal.result).toBe(zoom.result);
    const done = await finished(zoom.result);
    expect(done).toMatchObject({ status: "SUCCESS", action: "ZOOM" });
  });

  it("an account with Remix on: V opens a pop-up; with no new prompt the parent's is submitted", async () => {
    await start({ simAccounts: [{ remix: true }], account: { remix: true } });
    const grid = await imagine("a paper boat");
    const v = await submitted(
      "/mj/submit/action",
      { taskId: grid.id, customId: button(grid, (id) => id.startsWith("MJ::JOB::variation::1::")) },
      [21],
    );
    expect(v.properties).toMatchObject({ remix: true });
    await submitted("/mj/submit/modal", { taskId: v.result });
    const done = await finished(v.result);
    expect(done).toMatchObject({ status: "SUCCESS", action: "VARIATION" });
  });

  it("a Remix pop-up the account did not announce is answered with the parent's prompt, and the account learns it", async () => {
    await start({ simAccounts: [{ remix: true }], account: { remix: false } });
    const grid = await imagine("a glass bird");
    const v = await submitted("/mj/submit/action", {
      taskId: grid.id,
      customId: button(grid, (id) => id.startsWith("MJ::JOB::variation::2::")),
    });
    const done = await finished(v.result);
    expect(done).toMatchObject({ status: "SUCCESS", action: "VARIATION" });
    const account = (await mj(`/mj/account/${stack!.accounts[0]!.id}/fetch`)).body;
    expect(account.remix).toBe(true);
  });

  it("a MODAL task never confirmed ends at its timeout with that reason", async () => {
    await start({ timeoutMs: 1_500 });
    const grid = await imagine("a red kite");
    const upscale = await click(
      grid,
      button(grid, (id) => id.startsWith("MJ::JOB::upsample::1::")),
    );
    const zoom = await submitted(
      "/mj/submit/action",
      { taskId: upscale.id, customId: button(upscale, (id) => id.startsWith("MJ::CustomZoom::")) },
      [21],
    );
    const ended = await finished(zoom.result);
    expect(ended.status).toBe("FAILURE");
    expect(ended.failReason).toMatch(/timeout/i);
  });

  it("Vary (Region) sends the mask and prompt to the activity host and ends with the region's variation", async () => {
    await start();
    const grid = await imagine("a quiet harbour");
    const upscale = await click(
      grid,
      button(grid, (id) => id.startsWith("MJ::JOB::upsample::4::")),
    );
    const region = await submitted(
      "/mj/submit/action",
      { taskId: upscale.id, customId: button(upscale, (id) => id.startsWith("MJ::Inpaint::")) },
      [21],
    );
    const mask = png(16, 16, [255, 255, 255]);
    await submitted("/mj/submit/modal", {
      taskId: region.result,
      prompt: "a red boat",
      maskBase64: dataUrl(mask),
    });
    const done = await finished(region.result);
    expect(done).toMatchObject({ status: "SUCCESS", action: "VARIATION" });
    expect(stack!.sim.masks().length).toBe(1);
  });
});

describe("commands with images and text", () => {
  it("/describe uploads the image's exact bytes and ends with four prompts", async () => {
    await start();
    const image = png(32, 24, [10, 120, 200]);
    const answer = await submitted("/mj/submit/describe", { base64: dataUrl(image) });
    const task = await finished(answer.result);
    expect(task).toMatchObject({ status: "SUCCESS", action: "DESCRIBE" });
    expect(task.properties.finalPrompt).toMatch(/1️⃣[\s\S]*2️⃣[\s\S]*3️⃣[\s\S]*4️⃣/);
    expect(task.imageUrl).toMatch(/^http/);
    const uploads = stack!.sim.uploads();
    expect(uploads.map((u: Answer) => u.size)).toContain(image.length);

    // 2️⃣ opens a pop-up pre-filled with that prompt; the imagine it starts ends like any other.
    const second = await submitted(
      "/mj/submit/action",
      { taskId: task.id, customId: button(task, (id) => id === "MJ::Job::PicReader::2") },
      [1, 21, 22],
    );
    if (second.code === 21) await submitted("/mj/submit/modal", { taskId: second.result });
    expect(await finished(second.result)).toMatchObject({ status: "SUCCESS", action: "IMAGINE" });
  });

  it("/describe of an image given by link sends the link and uploads nothing", async () => {
    await start();
    const answer = await submitted("/mj/submit/describe", { link: "https://example.com/photo.png" });
    const task = await finished(answer.result);
    expect(task).toMatchObject({ status: "SUCCESS", action: "DESCRIBE" });
    expect(task.properties.finalPrompt).toMatch(/1️⃣/);
    expect(stack!.sim.uploads()).toHaveLength(0);
  });

  it("/blend uploads 2 images and ends with a grid", async () => {
    await start();
    const answer = await submitted("/mj/submit/blend", {
      base64Array: [dataUrl(png(8, 8, [255, 0, 0])), dataUrl(png(8, 8, [0, 0, 255]))],
      dimensions: "LANDSCAPE",
    });
    const task = await finished(answer.result);
    expect(task).toMatchObject({ status: "SUCCESS", action: "BLEND" });
    expect(task.buttons.length).toBeGreaterThan(0);
    expect(stack!.sim.uploads().length).toBe(2);
  });

  it("/shorten ends with its analysis in finalPrompt", async () => {
    await start();
    const answer = await submitted("/mj/submit/shorten", {
      prompt: "a very detailed and intricate painting of a small cottage in a wide green valley at sunset",
    });
    const task = await finished(answer.result);
    expect(task).toMatchObject({ status: "SUCCESS", action: "SHORTEN" });
    expect(task.properties.finalPrompt).toMatch(/Shortened prompts/);
  });

  it("/imagine with a reference image puts its CDN URL before the prompt", async () => {
    await start();
    const answer = await submitted("/mj/submit/imagine", {
      prompt: "in the style of a woodcut",
      base64Array: [dataUrl(png(8, 8, [0, 200, 0]))],
    });
    const task = await finished(answer.result);
    expect(task.status).toBe("SUCCESS");
    expect(task.promptEn).toMatch(/^https?:\/\/\S+ in the style of a woodcut/);
  });

  it("upload-discord-images answers the images' URLs, which serve the same bytes", async () => {
    await start();
    const image = png(12, 12, [1, 2, 3]);
    const answer = await mj("/mj/submit/upload-discord-images", { base64Array: [dataUrl(image)] });
    expect(answer.body.code).toBe(1);
    expect(Array.isArray(answer.body.result)).toBe(true);
    const served = Buffer.from(await (await fetch(answer.body.result[0])).arrayBuffer());
    expect(served.equals(image)).toBe(true);
  });

  it("image-seed reads the seed through /show and ✉️, then answers it from the task", async () => {
    await start();
    const grid = await imagine("a stone bridge");
    const seed = await mj(`/mj/task/${grid.id}/image-seed`);
    expect(seed.status).toBe(200);
    expect(seed.body).toMatchObject({ code: 1 });
    expect(seed.body.result).toMatch(/^\d+$/);
    const again = await mj(`/mj/task/${grid.id}/image-seed`);
    expect(again.body.result).toBe(seed.body.result);
  });
});

import { solidPng } from "@mjg/discord-sim";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../../../apps/worker/test/harness.js";
import {
  imageDataUrl,
  MjgApiError,
  MjgClient,
  MjgNetworkError,
  MjgTimeoutError,
  type MjTask,
  type ProgressSource,
} from "../src/index.js";

const png = (rgb: [number, number, number]) => imageDataUrl(solidPng(16, 16, rgb));
const buttonOf = (task: MjTask, match: (customId: string) => boolean) => {
  const button = task.buttons.find((b) => match(b.customId));
  if (!button) throw new Error(`no such button on ${task.id}: ${task.buttons.map((b) => b.customId)}`);
  return button.customId;
};

describe("the SDK against the gateway and the simulator", () => {
  let stack: Stack;
  let mj: MjgClient;
  let grid: MjTask;

  beforeAll(async () => {
    stack = await startStack({ stepDelayMs: 5 });
    mj = new MjgClient({ baseUrl: stack.apiUrl });
    const { id } = await mj.imagine({ prompt: "a lighthouse at dawn" });
    grid = await mj.waitFor(id);
  });
  afterAll(async () => stack?.close());

  it("imagine, then waitFor reports progress and ends with the grid", async () => {
    const submitted = await mj.imagine({ prompt: "a red fox in snow", state: "fox" });
    expect(submitted).toMatchObject({ code: 1, modal: false, queued: 0 });
    expect(submitted.id).toMatch(/^\d{16}$/);
    const seen: [string, string, ProgressSource][] = [];
    const task = await mj.waitFor(submitted.id, {
      onProgress: (t, source) => seen.push([t.status, t.progress, source]),
    });
    expect(task).toMatchObject({ id: submitted.id, status: "SUCCESS", action: "IMAGINE", state: "fox" });
    expect(task.imageUrl).toMatch(/^http/);
    expect(seen.at(-1)?.slice(0, 2)).toEqual(["SUCCESS", "100%"]);
    // Each report is a change; the same state is never reported twice in a row.
    for (let i = 1; i < seen.length; i++) expect(seen[i]).not.toEqual(seen[i - 1]);
    expect(grid.status).toBe("SUCCESS");
  });

  it("waitFor follows the server's event stream when it has one, else polls", async () => {
    const probe = await fetch(`${stack.apiUrl}/mj/task/${grid.id}/events`, {
      headers: { accept: "text/event-stream" },
    });
    const streams = probe.ok && (probe.headers.get("content-type") ?? "").startsWith("text/event-stream");
    await probe.body?.cancel();
    if (!streams) console.warn("this gateway has no /mj/task/{id}/events yet: waitFor falls back to polling");
    const { id } = await mj.imagine({ prompt: "a quiet harbour" });
    const sources = new Set<ProgressSource>();
    const task = await mj.waitFor(id, { onProgress: (_t, source) => sources.add(source) });
    expect(task.status).toBe("SUCCESS");
    expect([...sources]).toEqual([streams ? "events" : "polling"]);
  });

  it("waitFor by polling alone reaches the same end", async () => {
    const { id } = await mj.imagine({ prompt: "a tin robot" });
    const sources = new Set<ProgressSource>();
    const task = await mj.waitFor(id, {
      events: false,
      pollIntervalMs: 50,
      onProgress: (_t, s) => sources.add(s),
    });
    expect(task.status).toBe("SUCCESS");
    expect([...sources]).toEqual(["polling"]);
  });

  it("upscale, variation and reroll make children of the grid", async () => {
    const [up, vary, reroll] = await Promise.all([
      mj.upscale(grid.id, 2),
      mj.variation(grid.id, 3),
      mj.reroll(grid.id),
    ]);
    const [u, v, r] = await Promise.all([mj.waitFor(up.id), mj.waitFor(vary.id), mj.waitFor(reroll.id)]);
    expect(u).toMatchObject({ status: "SUCCESS", action: "UPSCALE", parentId: grid.id });
    expect(v).toMatchObject({ status: "SUCCESS", action: "VARIATION", parentId: grid.id });
    expect(r.status).toBe("SUCCESS");
  });

  it("action clicks a button; a pop-up answers modal, and modal() runs it", async () => {
    const up = await mj.waitFor(
      (
        await mj.action(
          grid.id,
          buttonOf(grid, (id) => id.startsWith("MJ::JOB::upsample::1::")),
        )
      ).id,
    );
    expect(up).toMatchObject({ status: "SUCCESS", action: "UPSCALE" });
    const zoom = await mj.action(
      up.id,
      buttonOf(up, (id) => id.startsWith("MJ::CustomZoom::")),
    );
    expect(zoom).toMatchObject({ code: 21, modal: true });
    expect((await mj.fetch(zoom.id)).status).toBe("MODAL");
    const confirmed = await mj.modal(zoom.id, { prompt: "a lighthouse at dawn --zoom 1.5" });
    expect(confirmed.id).toBe(zoom.id);
    expect(await mj.waitFor(zoom.id)).toMatchObject({ status: "SUCCESS", action: "ZOOM" });
  });

  it("describe, blend and shorten end with their answers", async () => {
    const [d, b, s] = await Promise.all([
      mj.describe({ image: png([10, 120, 200]) }),
      mj.blend({ images: [png([255, 0, 0]), png([0, 0, 255])], dimensions: "LANDSCAPE" }),
      mj.shorten(
        "a very detailed and intricate painting of a small cottage in a wide green valley at sunset",
      ),
    ]);
    const [described, blended, shortened] = await Promise.all([d, b, s].map((x) => mj.waitFor(x.id)));
    expect(described).toMatchObject({ status: "SUCCESS", action: "DESCRIBE" });
    expect(described!.properties.finalPrompt).toMatch(/1️⃣/);
    expect(blended).toMatchObject({ status: "SUCCESS", action: "BLEND" });
    expect(shortened).toMatchObject({ status: "SUCCESS", action: "SHORTEN" });
    expect(shortened!.properties.finalPrompt).toMatch(/Shortened prompts/);
  });

  it("fetch, fetchMany, list with filters and a cursor, queue and accounts", async () => {
    expect(await mj.fetch(grid.id)).toMatchObject({ id: grid.id, status: "SUCCESS" });
    const many = await mj.fetchMany([grid.id, "9999999999999999"]);
    expect(many.map((t) => t.id)).toEqual([grid.id]);

    const first = await mj.list({ status: "SUCCESS", limit: 2 });
    expect(first.tasks).toHaveLength(2);
    expect(first.tasks.every((t) => t.status === "SUCCESS")).toBe(true);
    expect(first.nextCursor).not.toBeNull();
    const second = await mj.list({ status: "SUCCESS", limit: 2, cursor: first.nextCursor! });
    expect(second.tasks.map((t) => t.id)).not.toContain(first.tasks[0]!.id);
    const imagines = await mj.list({ action: "IMAGINE", limit: 500 });
    expect(imagines.tasks.map((t) => t.id)).toContain(grid.id);

    expect(Array.isArray(await mj.queue())).toBe(true);
    const accounts = await mj.accounts();
    expect(accounts[0]).toMatchObject({ enable: true });
    expect(JSON.stringify(accounts)).not.toMatch(/token/i);
  });

  it("cancel ends a waiting task as CANCEL", async () => {
    const zoom = await mj.action(
      grid.id,
      buttonOf(grid, (id) => id.startsWith("MJ::JOB::upsample::4::")),
    );
    const up = await mj.waitFor(zoom.id);
    const pending = await mj.action(
      up.id,
      buttonOf(up, (id) => id.startsWith("MJ::CustomZoom::")),
    );
    await mj.cancel(pending.id);
    expect(await mj.waitFor(pending.id)).toMatchObject({ status: "CANCEL" });
  });

  it("the seed API: submit, fetch and list in the seed's view", async () => {
    const id = await mj.seed.submit({ action: "IMAGINE", prompt: "a seed cat" });
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    const done = await mj.waitFor(id);
    expect(done.status).toBe("SUCCESS");
    expect(await mj.seed.fetch(id)).toMatchObject({ _id: id, status: "SUCCESS", action: "IMAGINE" });
    const page = await mj.seed.list({ limit: 1 });
    expect(page.tasks).toHaveLength(1);
  });

  it("refusals are typed errors with the server's code, text and catalogue name", async () => {
    const unknown = await mj.fetch("1234567890123456").catch((e) => e);
    expect(unknown).toBeInstanceOf(MjgApiError);
    expect(unknown).toMatchObject({ status: 404, code: 3, reason: "TASK_NOT_FOUND", notFound: true });
    expect(unknown.description).toBe("任务不存在");

    const blank = await mj.imagine({ prompt: "  " }).catch((e) => e);
    expect(blank).toMatchObject({ api: "mj", status: 400, code: 4, reason: "PROMPT_REQUIRED" });

    const badIndex = await mj.upscale(grid.id, 7 as 1).catch((e) => e);
    expect(badIndex).toMatchObject({ code: 4, reason: "INDEX_INVALID" });

    const seed = await mj.seed.fetch("ffffffffffffffffffffffff").catch((e) => e);
    expect(seed).toMatchObject({ api: "seed", status: 404, code: 0, reason: "TASK_NOT_FOUND" });

    const gone = new MjgClient({ baseUrl: "http://127.0.0.1:9" });
    expect(await gone.fetch(grid.id).catch((e) => e)).toBeInstanceOf(MjgNetworkError);
  });

  it("waitFor gives up with the last state it saw, and stops on abort", async () => {
    const up = await mj.waitFor(
      (
        await mj.action(
          grid.id,
          buttonOf(grid, (id) => id.startsWith("MJ::JOB::upsample::3::")),
        )
      ).id,
    );
    const modal = await mj.action(
      up.id,
      buttonOf(up, (id) => id.startsWith("MJ::CustomZoom::")),
    );
    const late = await mj.waitFor(modal.id, { timeoutMs: 300, pollIntervalMs: 50 }).catch((e) => e);
    expect(late).toBeInstanceOf(MjgTimeoutError);
    expect(late.task).toMatchObject({ id: modal.id, status: "MODAL" });

    const controller = new AbortController();
    const waiting = mj.waitFor(modal.id, { signal: controller.signal, pollIntervalMs: 50 });
    controller.abort(new Error("stop"));
    await expect(waiting).rejects.toThrow("stop");
    await mj.cancel(modal.id);
  });
});

describe("busy gateway", () => {
  let stack: Stack;
  afterAll(async () => stack?.close());

  it("a 429 is retried after its Retry-After with the same idempotency key, then accepted", async () => {
    stack = await startStack({ stepDelayMs: 150, account: { concurrency: 1, queueSize: 0 } });
    const retries: { status: number; delayMs: number }[] = [];
    const keys: string[] = [];
    const mj = new MjgClient({
      baseUrl: stack.apiUrl,
      retry: { retries: 10 },
      onRetry: ({ status, delayMs }) => retries.push({ status, delayMs }),
      fetch: (input, init) => {
        const key = new Headers(init?.headers).get("idempotency-key");
        if (key) keys.push(key);
        return fetch(input, init);
      },
    });
    const first = await mj.imagine({ prompt: "the first of two" });
    const second = await mj.imagine({ prompt: "the second of two" });
    expect(second.id).not.toBe(first.id);
    expect(retries.length).toBeGreaterThan(0);
    expect(retries[0]).toEqual({ status: 429, delayMs: 5_000 });
    // Every attempt of the second submit carried one key; the first submit had its own.
    expect(new Set(keys.slice(1)).size).toBe(1);
    expect(keys[0]).not.toBe(keys[1]);
    expect((await mj.waitFor(second.id)).status).toBe("SUCCESS");

    // With no retries left the refusal surfaces as a typed, retryable error.
    const impatient = new MjgClient({ baseUrl: stack.apiUrl, retry: { retries: 0 } });
    await impatient.imagine({ prompt: "fills the only slot" });
    const refused = await impatient.imagine({ prompt: "finds it taken" }).catch((e) => e);
    expect(refused).toMatchObject({ status: 429, code: 23, reason: "QUEUES_FULL", retryable: true });
    expect(refused.retryAfterMs).toBe(5_000);
  });
});

import { scanTargets, TaskStore } from "@mjg/shared";
import { testRedis, until } from "@mjg/shared/testing";
import type { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { accountStatus, type Harness, json, startApi } from "./harness.js";

let h: Harness;
// Another process's writes (the worker's): its own connection, publishing through Redis.
let workerRedis: Redis;
let worker: TaskStore;
beforeEach(async () => {
  h = await startApi({ heartbeatMs: 50, accounts: [accountStatus("a1", { queueSize: 100 })] });
  workerRedis = testRedis();
  worker = new TaskStore({ redis: workerRedis, keys: h.keys, retentionMs: 86_400_000, timeoutMs: 600_000 });
});
afterEach(async () => {
  workerRedis.disconnect();
  await h.close();
});

interface Event {
  id: string | null;
  data: unknown;
}

/** An open event stream read as it arrives: events, comments, and whether the server ended it. */
class Stream {
  readonly events: Event[] = [];
  comments = 0;
  ended = false;
  status = 0;
  contentType = "";
  private readonly controller = new AbortController();
  private buffer = "";
  readonly done: Promise<void>;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.done = this.read(url, headers);
  }

  private async read(url: string, headers: Record<string, string>): Promise<void> {
    const response = await fetch(url, { headers, signal: this.controller.signal });
    this.status = response.status;
    this.contentType = response.headers.get("content-type") ?? "";
    if (!response.ok || !response.body) {
      this.ended = true;
      await response.body?.cancel();
      return;
    }
    try {
      for await (const chunk of response.body.pipeThrough(new TextDecoderStream())) this.feed(chunk);
      this.ended = true;
    } catch {
      // Aborted by the test.
    }
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let cut = this.buffer.indexOf("\n\n");
    while (cut >= 0) {
      const block = this.buffer.slice(0, cut);
      this.buffer = this.buffer.slice(cut + 2);
      if (block.startsWith(":")) this.comments++;
      else {
        const id = /^id: (.*)$/m.exec(block)?.[1] ?? null;
        const data = /^data: (.*)$/m.exec(block)?.[1];
        this.events.push({ id, data: data === undefined ? null : JSON.parse(data) });
      }
      cut = this.buffer.indexOf("\n\n");
    }
  }

  waitFor(count: number): Promise<Event[]> {
    return until(
      async () => this.events.length,
      (n) => n >= count || this.ended,
    ).then(() => this.events);
  }

  close(): void {
    this.controller.abort();
  }
}

async function submitSeed(): Promise<string> {
  const response = await fetch(`${h.url}/api/v1/trigger/submit`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ action: "IMAGINE", prompt: "a lighthouse" }),
  });
  return (await json(response)).result;
}

async function submitMj(): Promise<string> {
  const response = await fetch(`${h.url}/mj/submit/imagine`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ prompt: "a lighthouse" }),
  });
  return (await json(response)).result;
}

/** The changes a worker makes through a whole task. */
const LIFE = [
  { status: "SUBMITTED" as const },
  { status: "IN_PROGRESS" as const, progress: "15%" },
  { progress: "46%", previewUrl: "https://cdn.example/preview-46.webp" },
  { progress: "92%", previewUrl: "https://cdn.example/preview-92.webp" },
  { status: "SUCCESS" as const, imageUrl: "https://cdn.example/grid.png", finishTime: Date.now() },
];

describe("GET /api/v1/task/events", () => {
  it("streams the seed record on every change of a whole task, in order, and ends after SUCCESS", async () => {
    const id = await submitSeed();
    const stream = new Stream(`${h.url}/api/v1/task/events?_id=${id}`);
    await stream.waitFor(1);
    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    for (const patch of LIFE) await worker.update(id, () => patch);
    await stream.done;
    expect(stream.ended).toBe(true);
    const tasks = stream.events.map(
      (event) => event.data as { _id: string; status: string; progress: string },
    );
    expect(tasks.map((task) => [task.status, task.progress])).toEqual([
      ["NOT_START", "0%"],
      ["SUBMITTED", "0%"],
      ["IN_PROGRESS", "15%"],
      ["IN_PROGRESS", "46%"],
      ["IN_PROGRESS", "92%"],
      // The seed's record says "done" once a task has succeeded.
      ["SUCCESS", "done"],
    ]);
    expect(tasks.every((task) => task._id === id)).toBe(true);
    const ids = stream.events.map((event) => Number(event.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("Last-Event-ID resumes after the last version the client saw", async () => {
    const id = await submitSeed();
    const first = new Stream(`${h.url}/api/v1/task/events?_id=${id}`);
    await first.waitFor(1);
    await worker.update(id, () => LIFE[0]!);
    await worker.update(id, () => LIFE[1]!);
    await first.waitFor(3);
    first.close();
    const seen = first.events.at(-1)!.id!;
    // Changes while the client was away.
    await worker.update(id, () => LIFE[2]!);
    const resumed = new Stream(`${h.url}/api/v1/task/events?_id=${id}`, { "last-event-id": seen });
    await resumed.waitFor(1);
    await worker.update(id, () => LIFE[3]!);
    await worker.update(id, () => LIFE[4]!);
    await resumed.done;
    expect(resumed.events.map((event) => (event.data as { progress: string }).progress)).toEqual([
      "46%",
      "92%",
      "done",
    ]);
    expect(Number(resumed.events[0]!.id)).toBe(Number(seen) + 1);

    // Resumed after the terminal event: nothing more to say, the stream just ends.
    const after = new Stream(`${h.url}/api/v1/task/events?_id=${id}`, {
      "last-event-id": resumed.events.at(-1)!.id!,
    });
    await after.done;
    expect(after).toMatchObject({ status: 200, ended: true, events: [] });
  });

  it("a finished task streams once and ends; an unknown one answers 404 in the seed envelope", async () => {
    const id = await submitSeed();
    await worker.update(id, () => ({ status: "FAILURE", failReason: "banned" }));
    const stream = new Stream(`${h.url}/api/v1/task/events?_id=${id}`);
    await stream.done;
    expect(stream.events.map((event) => (event.data as { status: string }).status)).toEqual(["FAILURE"]);
    const missing = await fetch(`${h.url}/api/v1/task/events?_id=nope`);
    expect(missing.status).toBe(404);
    expect((await json(missing)).code).toBe(0);
  });

  it("sends heartbeat comments while nothing changes", async () => {
    const id = await submitSeed();
    const stream = new Stream(`${h.url}/api/v1/task/events?_id=${id}`);
    await until(
      async () => stream.comments,
      (n) => n >= 3,
    );
    stream.close();
    expect(stream.events).toHaveLength(1);
  });
});

describe("GET /mj/task/{id}/events", () => {
  it("streams /mj Task JSON under all four prefixes, with the preview image as it moves", async () => {
    const id = await submitMj();
    const streams = ["/mj", "/mj-fast/mj", "/mj-relax/mj", "/mj-turbo/mj"].map(
      (prefix) => new Stream(`${h.url}${prefix}/task/${id}/events`),
    );
    await Promise.all(streams.map((stream) => stream.waitFor(1)));
    for (const patch of LIFE) await worker.update(id, () => patch);
    await Promise.all(streams.map((stream) => stream.done));
    for (const stream of streams) {
      const tasks = stream.events.map(
        (event) => event.data as { id: string; status: string; progress: string; imageUrl: string | null },
      );
      expect(tasks.map((task) => task.status)).toEqual([
        "NOT_START",
        "SUBMITTED",
        "IN_PROGRESS",
        "IN_PROGRESS",
        "IN_PROGRESS",
        "SUCCESS",
      ]);
      expect(tasks[3]!.imageUrl).toBe("https://cdn.example/preview-46.webp");
      expect(tasks.at(-1)).toMatchObject({ id, progress: "100%", imageUrl: "https://cdn.example/grid.png" });
    }
  });

  it("an unknown task answers 404 with code 3", async () => {
    const missing = await fetch(`${h.url}/mj/task/1234567890123456/events`);
    expect(missing.status).toBe(404);
    expect(await json(missing)).toMatchObject({ code: 3, result: null });
  });
});

describe("one subscription per API process", () => {
  it("1,000 short streams leave nothing behind, over one Redis subscription", async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, () => submitSeed()));
    for (let round = 0; round < 20; round++) {
      const streams = Array.from(
        { length: 50 },
        (_, i) => new Stream(`${h.url}/mj/task/${ids[(round + i) % ids.length]}/events`),
      );
      await Promise.all(streams.map((stream) => stream.waitFor(1)));
      if (round === 10) {
        // Master by master: on a cluster each node counts only its own subscribers.
        let subscribers = 0;
        for (const node of scanTargets(h.redis))
          subscribers += Number(((await node.pubsub("NUMSUB", h.keys.taskEvents)) as [string, number])[1]);
        expect(subscribers).toBe(1);
        expect(h.api.events.size).toEqual({ streams: 50, tasks: 20 });
      }
      for (const stream of streams) stream.close();
      await Promise.all(streams.map((stream) => stream.done));
    }
    await until(
      async () => h.api.events.size,
      (size) => size.streams === 0 && size.tasks === 0,
    );
    // Streams that end on their own (the task finished) leave nothing either.
    const finishing = ids.slice(0, 5).map((id) => new Stream(`${h.url}/api/v1/task/events?_id=${id}`));
    await Promise.all(finishing.map((stream) => stream.waitFor(1)));
    for (const id of ids.slice(0, 5)) await worker.update(id, () => ({ status: "CANCEL" }));
    await Promise.all(finishing.map((stream) => stream.done));
    expect(h.api.events.size).toEqual({ streams: 0, tasks: 0 });
  });
});

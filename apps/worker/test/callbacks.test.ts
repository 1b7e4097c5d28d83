import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { parseMetrics } from "@mjg/shared/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type Stack, startStack } from "./harness.js";

interface Received {
  body: string;
  headers: IncomingMessage["headers"];
}

async function receiver(statuses: number[] = []) {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ body: Buffer.concat(chunks).toString(), headers: request.headers });
      response.statusCode = statuses.shift() ?? 200;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, received, close: () => new Promise((resolve) => server.close(resolve)) };
}

async function until<T>(check: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const value = check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("not in time");
}

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe("the notifyHook callback", () => {
  it("posts the fetch-identical record when the task succeeds, retrying a receiver that failed", async () => {
    stack = await startStack();
    const hook = await receiver([500, 503]);
    try {
      const { body } = await stack.submit({
        action: "IMAGINE",
        prompt: "callback cat",
        notifyHook: hook.url,
        state: "s-1",
      });
      const task = await stack.waitForTask(body.result);
      expect(task.status).toBe("SUCCESS");
      const delivered = await until(() => (hook.received.length >= 3 ? hook.received[2] : undefined));
      expect(delivered.headers["content-type"]).toContain("application/json");
      expect(JSON.parse(delivered.body)).toEqual(await stack.task(body.result));
      // The same event id on every try, so a receiver can drop repeats.
      expect(new Set(hook.received.map((r) => r.headers["webhook-id"])).size).toBe(1);
      const attempts = await (await fetch(`${stack.apiUrl}/api/v1/task/callbacks?_id=${body.result}`)).json();
      expect((attempts as { delivered: boolean }[]).some((a) => a.delivered)).toBe(true);
      const metrics = parseMetrics(await stack.workers[0]!.metrics.registry.metrics());
      expect(metrics.get('mj_callback_deliveries_total{outcome="retry"}')).toBe(2);
      expect(metrics.get('mj_callback_deliveries_total{outcome="delivered"}')).toBe(1);
    } finally {
      await hook.close();
    }
  });

  it("posts the record when the task fails", async () => {
    stack = await startStack({ sim: { bannedWords: ["forbiddenword"] } });
    const hook = await receiver();
    try {
      const { body } = await stack.submit({
        action: "IMAGINE",
        prompt: "a forbiddenword here",
        notifyHook: hook.url,
      });
      const task = await stack.waitForTask(body.result);
      expect(task.status).toBe("FAILURE");
      const delivered = await until(() => hook.received[0]);
      expect(JSON.parse(delivered.body)).toMatchObject({ _id: body.result, status: "FAILURE" });
      expect(JSON.parse(delivered.body).failReason).toContain("Banned prompt");
    } finally {
      await hook.close();
    }
  });
});

describe("exhausted callback deliveries", () => {
  it("stay inspectable and are delivered after an operator replays them", async () => {
    stack = await startStack();
    const hook = await receiver([500, 500, 500, 500]);
    try {
      const { body } = await stack.submit({
        action: "IMAGINE",
        prompt: "replayed cat",
        notifyHook: hook.url,
      });
      await stack.waitForTask(body.result);
      // The test schedule has three retries: four failed attempts exhaust it.
      await until(() => (hook.received.length >= 4 ? true : undefined));
      const attempts = (await (
        await fetch(`${stack.apiUrl}/api/v1/task/callbacks?_id=${body.result}`)
      ).json()) as {
        delivered: boolean;
      }[];
      expect(attempts.length).toBeGreaterThanOrEqual(4);
      expect(attempts.every((attempt) => !attempt.delivered)).toBe(true);
      // The last failure reaches BullMQ's failed set a moment after the receiver answered: replay until it is there.
      let replayed = 0;
      for (let i = 0; i < 200 && replayed === 0; i++) {
        const replay = await fetch(`${stack.apiUrl}/admin/callbacks/replay`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ limit: 10 }),
        });
        expect(replay.status).toBe(200);
        replayed = ((await replay.json()) as { replayed: number }).replayed;
        if (replayed === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(replayed).toBe(1);
      await until(() => (hook.received.length >= 5 ? true : undefined));
      expect(JSON.parse(hook.received[4]!.body)._id).toBe(body.result);
    } finally {
      await hook.close();
    }
  });
});

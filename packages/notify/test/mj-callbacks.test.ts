import { mjTask, newNumericTaskId, type TaskRecord } from "@mjg/shared";
import { testRecord } from "@mjg/shared/testing";
import { afterEach, describe, expect, it } from "vitest";
import { stateOrder } from "../src/mj.js";
import {
  type Receiver,
  receiverAndHarness,
  reply,
  sequence,
  type startReceiver,
  testSettings,
  waitFor,
} from "./helpers.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const setup = (respond: Parameters<typeof startReceiver>[0], settings = testSettings()) =>
  receiverAndHarness(cleanups, respond, settings);

function mjRecord(hook: string): TaskRecord {
  return testRecord({
    _id: newNumericTaskId(),
    prompt: "a harbour at dawn",
    state: "st",
    notifyHook: hook,
    accountId: "acct1",
    api: "mj",
  });
}

function states(base: TaskRecord): TaskRecord[] {
  return [
    { ...base, status: "SUBMITTED", startTime: Date.now(), rev: 1 },
    { ...base, status: "IN_PROGRESS", progress: "15%", rev: 2 },
    { ...base, status: "IN_PROGRESS", progress: "46%", rev: 3 },
    { ...base, status: "IN_PROGRESS", progress: "92%", rev: 4 },
    {
      ...base,
      status: "SUCCESS",
      progress: "done",
      imageUrl: "https://cdn.example.com/g.png",
      finishTime: Date.now(),
      finalPrompt: "a harbour at dawn --v 6",
      rev: 5,
    },
  ];
}

/** A receiver that holds each request a while, counting how many are open at once. */
function slowReceiver(holdMs: number) {
  let open = 0;
  let maxOpen = 0;
  return {
    maxOpen: () => maxOpen,
    respond: ((_request, response) => {
      open++;
      maxOpen = Math.max(maxOpen, open);
      setTimeout(() => {
        open--;
        response.writeHead(200).end("ok");
      }, holdMs);
    }) as Parameters<typeof startReceiver>[0],
  };
}

const order = (body: string) => {
  const task = JSON.parse(body);
  return stateOrder({ status: task.status, progress: task.status === "SUCCESS" ? "done" : task.progress });
};

describe("callbacks of /mj tasks", () => {
  it("POSTs the /mj Task JSON, progress included, though progress events are off", async () => {
    const { receiver, harness } = await setup(reply(200), testSettings({ progressEvents: false }));
    harness.startWorker();
    const [submitted, progress] = states(mjRecord(""));
    const withHook = (record: TaskRecord) => ({ ...record, notifyHook: receiver.url });
    await harness.queue.enqueueFor(withHook(submitted!));
    await waitFor(() => receiver.requests.length >= 1, "first delivery");
    await harness.queue.enqueueFor(withHook(progress!));
    await waitFor(() => receiver.requests.length >= 2, "progress delivery");
    expect(receiver.requests[0]!.body).toBe(JSON.stringify(mjTask(withHook(submitted!))));
    expect(JSON.parse(receiver.requests[1]!.body)).toMatchObject({ status: "IN_PROGRESS", progress: "15%" });
    expect(JSON.parse(receiver.requests[1]!.body)).toHaveProperty("properties.finalPrompt");
  });

  it("coalesces a burst: one delivery in flight at a time, states only ever move forward, the last one arrives", async () => {
    const slow = slowReceiver(150);
    const { receiver, harness } = await setup(slow.respond, testSettings({ concurrency: 20 }));
    harness.startWorker();
    const base = mjRecord("");
    for (const state of states(base)) await harness.queue.enqueueFor({ ...state, notifyHook: receiver.url });
    await waitFor(
      () => receiver.requests.some((request) => JSON.parse(request.body).status === "SUCCESS"),
      "final state",
    );
    // Give a stray delivery the chance to show up before checking.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(slow.maxOpen()).toBe(1);
    const orders = receiver.requests.map((request) => order(request.body));
    expect(orders).toEqual([...orders].sort((a, b) => a - b));
    expect(new Set(orders).size).toBe(orders.length);
    expect(JSON.parse(receiver.requests.at(-1)!.body)).toMatchObject({ status: "SUCCESS", progress: "100%" });
  });

  it("drops a state older than one already queued or sent", async () => {
    const { receiver, harness } = await setup(reply(200));
    const all = states(mjRecord(""));
    const hooked = all.map((state) => ({ ...state, notifyHook: receiver.url }));
    await harness.queue.enqueueFor(hooked[4]!);
    await harness.queue.enqueueFor(hooked[2]!);
    harness.startWorker();
    await waitFor(() => receiver.requests.length >= 1, "delivery");
    await harness.queue.enqueueFor(hooked[3]!);
    await harness.queue.enqueueFor(hooked[4]!);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(receiver.requests.map((request) => JSON.parse(request.body).status)).toEqual(["SUCCESS"]);
  });

  it("a retry sends the newest state, never the superseded one after it", async () => {
    const { receiver, harness } = await setup(
      sequence(reply(500), reply(200)),
      testSettings({ backoffSeconds: [0.3, 0.3] }),
    );
    harness.startWorker();
    const hooked = states(mjRecord("")).map((state) => ({ ...state, notifyHook: receiver.url }));
    await harness.queue.enqueueFor(hooked[1]!);
    await waitFor(() => receiver.requests.length >= 1, "first, failed attempt");
    await harness.queue.enqueueFor(hooked[4]!);
    await waitFor(() => receiver.requests.length >= 2, "retry");
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(receiver.requests.map((request) => JSON.parse(request.body).status)).toEqual([
      "IN_PROGRESS",
      "SUCCESS",
    ]);
    const attempts = await harness.attempts(hooked[1]!._id);
    expect(attempts.some((attempt) => attempt.delivered && attempt.event === "task.success")).toBe(true);
  });

  it("signs /mj deliveries like the seed's", async () => {
    const { receiver, harness } = await setup(
      reply(200),
      testSettings({ secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }),
    );
    harness.startWorker();
    const [submitted] = states(mjRecord(""));
    await harness.queue.enqueueFor({ ...submitted!, notifyHook: receiver.url });
    await waitFor(() => receiver.requests.length >= 1, "delivery");
    expect(receiver.requests[0]!.headers["webhook-signature"]).toMatch(/^v1,/);
  });
});

export type { Receiver };

describe("a /mj delivery that runs out of retries", () => {
  it("stops (no endless resend), keeps the task's chain free, and the task's next state is delivered", async () => {
    const { receiver, harness } = await setup(
      sequence(reply(500), reply(500), reply(200)),
      testSettings({ backoffSeconds: [0.05] }),
    );
    harness.startWorker();
    const hooked = states(mjRecord("")).map((state) => ({ ...state, notifyHook: receiver.url }));
    await harness.queue.enqueueFor(hooked[1]!);
    await waitFor(async () => {
      const attempts = await harness.attempts(hooked[1]!._id);
      return (
        attempts.length >= 2 &&
        attempts.every((attempt) => attempt.nextAttemptAt === null || attempt.attempt === 1)
      );
    }, "retries exhausted");
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(receiver.requests).toHaveLength(2);
    await harness.queue.enqueueFor(hooked[4]!);
    await waitFor(() => receiver.requests.length >= 3, "the next state");
    expect(JSON.parse(receiver.requests[2]!.body).status).toBe("SUCCESS");
  });
});

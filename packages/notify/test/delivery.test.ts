import { publicTask } from "@mjg/shared";
import { afterEach, describe, expect, it } from "vitest";
import { RESPONSE_CAP_BYTES, USER_AGENT } from "../src/deliver.js";
import {
  failedJob,
  finishedTask,
  notifyHarness,
  type Receiver,
  receiverAndHarness,
  reply,
  sequence,
  startReceiver,
  testSettings,
  waitFor,
} from "./helpers.js";

type Harness = Awaited<ReturnType<typeof notifyHarness>>;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const setup = (respond: Parameters<typeof startReceiver>[0], settings = testSettings()) =>
  receiverAndHarness(cleanups, respond, settings);

async function deliveredAttempt(harness: Harness, taskId: string) {
  return waitFor(
    async () => (await harness.attempts(taskId)).find((attempt) => attempt.delivered),
    "delivery",
  );
}

describe("callback delivery", () => {
  it.each(["SUCCESS", "FAILURE"] as const)(
    "a task reaching %s is POSTed with the body task/fetch returns",
    async (status) => {
      const { receiver, harness } = await setup(reply(200));
      harness.startWorker();
      const record = finishedTask(null, status);
      const withHook = { ...record, notifyHook: receiver.url };
      const eventId = await harness.queue.enqueueFor(withHook);
      expect(eventId).toMatch(/^evt_[0-9a-f]+$/);

      const attempt = await deliveredAttempt(harness, record._id);
      expect(attempt).toMatchObject({ status: 200, attempt: 1, eventId, url: receiver.url, error: null });
      expect(receiver.requests).toHaveLength(1);
      const [request] = receiver.requests;
      expect(request!.method).toBe("POST");
      expect(request!.headers["content-type"]).toBe("application/json");
      expect(request!.headers["user-agent"]).toBe(USER_AGENT);
      expect(request!.body).toBe(JSON.stringify(publicTask(withHook)));
      expect(JSON.parse(request!.body)).toEqual(publicTask(withHook));
      expect(JSON.parse(request!.body)).not.toHaveProperty("discord");
      // Unsigned without a secret.
      expect(request!.headers["webhook-signature"]).toBeUndefined();
    },
  );

  it("every retry sends the same bytes, the task as it was when the event happened", async () => {
    const { receiver, harness } = await setup(sequence(reply(500), reply(200)));
    const record = finishedTask(receiver.url);
    await harness.queue.enqueueFor(record);
    // Later changes to the task do not leak into an event already queued.
    await harness.queue.enqueueFor({ ...record, status: "IN_PROGRESS", progress: "10%" });
    harness.startWorker();
    await deliveredAttempt(harness, record._id);
    expect(receiver.requests.map((request) => request.body)).toEqual([
      JSON.stringify(publicTask(record)),
      JSON.stringify(publicTask(record)),
    ]);
  });

  it("a receiver that answers 500 twice gets the same event a third time and it counts as delivered", async () => {
    const { receiver, harness } = await setup(sequence(reply(500), reply(503), reply(204)));
    harness.startWorker();
    const record = finishedTask(null);
    const eventId = await harness.queue.enqueueFor({ ...record, notifyHook: receiver.url });
    await deliveredAttempt(harness, record._id);

    expect(receiver.requests).toHaveLength(3);
    expect(new Set(receiver.requests.map((request) => request.body)).size).toBe(1);
    const attempts = await harness.attempts(record._id);
    expect(attempts.map((attempt) => [attempt.attempt, attempt.status, attempt.delivered])).toEqual([
      [3, 204, true],
      [2, 503, false],
      [1, 500, false],
    ]);
    expect(attempts.every((attempt) => attempt.eventId === eventId)).toBe(true);
    expect(attempts[1]!.nextAttemptAt).toBeGreaterThanOrEqual(attempts[1]!.at);
    expect(attempts[0]!.nextAttemptAt).toBeNull();
  });

  it("a receiver that is down at first gets the event once it comes up", async () => {
    const probe = await startReceiver(reply(200));
    const port = probe.port;
    await probe.close();
    const harness = await notifyHarness(
      testSettings({ backoffSeconds: [0.05, 0.1, 0.2, 0.5, 1, 1, 1, 1, 1, 1] }),
    );
    cleanups.push(() => harness.close());
    harness.startWorker();
    const record = finishedTask(`http://127.0.0.1:${port}/hook`);
    await harness.queue.enqueueFor(record);

    await waitFor(async () => (await harness.attempts(record._id)).length >= 2, "two failed attempts");
    const receiver = await startReceiver(reply(200), port);
    cleanups.push(() => receiver.close());
    const delivered = await deliveredAttempt(harness, record._id);
    expect(delivered.attempt).toBeGreaterThanOrEqual(3);
    const failures = (await harness.attempts(record._id)).filter((attempt) => !attempt.delivered);
    expect(
      failures.every((attempt) => attempt.status === null && /ECONNREFUSED/.test(attempt.error ?? "")),
    ).toBe(true);
    expect(receiver.requests).toHaveLength(1);
  });

  it("Retry-After makes the next attempt wait at least that long", async () => {
    const { receiver, harness } = await setup(
      sequence(reply(429, { "retry-after": "1" }), reply(200)),
      testSettings({ backoffSeconds: [0.05, 0.05] }),
    );
    harness.startWorker();
    const record = finishedTask(null);
    await harness.queue.enqueueFor({ ...record, notifyHook: receiver.url });
    await deliveredAttempt(harness, record._id);

    const [first, second] = receiver.requests;
    // Loose lower bound only: the schedule alone would have retried after ~50 ms.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
    const failed = (await harness.attempts(record._id)).find((attempt) => attempt.status === 429)!;
    expect(failed.nextAttemptAt! - failed.at).toBeGreaterThanOrEqual(1000);
  });

  it("Retry-After given as an HTTP date is honoured too", async () => {
    const { receiver, harness } = await setup(
      sequence(
        (_req, res) =>
          res.writeHead(503, { "retry-after": new Date(Date.now() + 2_000).toUTCString() }).end(),
        reply(200),
      ),
      testSettings({ backoffSeconds: [0.05] }),
    );
    harness.startWorker();
    const record = finishedTask(null);
    await harness.queue.enqueueFor({ ...record, notifyHook: receiver.url });
    await deliveredAttempt(harness, record._id);
    const failed = (await harness.attempts(record._id)).find((attempt) => attempt.status === 503)!;
    // The HTTP date has one-second resolution: at least one second remained.
    expect(failed.nextAttemptAt! - failed.at).toBeGreaterThanOrEqual(1000);
  });

  it("a receiver that answers 410 Gone is never called again, and the stop is recorded", async () => {
    const { receiver, harness } = await setup(reply(410));
    harness.startWorker();
    const record = finishedTask(null);
    const eventId = await harness.queue.enqueueFor({ ...record, notifyHook: receiver.url });
    const job = await failedJob(harness, eventId!);
    expect(job.failedReason).toMatch(/^gone:/);
    expect(receiver.requests).toHaveLength(1);
    const attempts = await harness.attempts(record._id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ status: 410, delivered: false, nextAttemptAt: null });
    expect(await harness.queue.replayFailed()).toBe(0);
  });

  it("a slow receiver is timed out and the event is retried", async () => {
    const { receiver, harness } = await setup(
      sequence(() => {
        // Never answers: the delivery must give up on its own.
      }, reply(200)),
      testSettings({ timeoutMs: 300 }),
    );
    harness.startWorker();
    const record = finishedTask(null);
    await harness.queue.enqueueFor({ ...record, notifyHook: receiver.url });
    await deliveredAttempt(harness, record._id);
    const attempts = await harness.attempts(record._id);
    expect(attempts[1]).toMatchObject({ status: null, attempt: 1, delivered: false });
    expect(attempts[1]!.error).toMatch(/timeout/i);
    expect(receiver.requests).toHaveLength(2);
  });

  it("redirects are not followed; exhausted deliveries stay in the failed set and can be replayed", async () => {
    let redirecting = true;
    const { receiver, harness } = await setup(
      (request, response) => {
        if (request.url !== "/hook") return reply(200)(request, response, 0);
        if (redirecting) response.writeHead(302, { location: "/elsewhere" }).end();
        else response.writeHead(200).end();
      },
      testSettings({ backoffSeconds: [0.05] }),
    );
    harness.startWorker();
    const record = finishedTask(null);
    const eventId = await harness.queue.enqueueFor({ ...record, notifyHook: receiver.url });
    const job = await failedJob(harness, eventId!);
    expect(job.failedReason).toMatch(/^exhausted after 2 attempts/);
    expect(receiver.requests.map((request) => request.url)).toEqual(["/hook", "/hook"]);
    const attempts = await harness.attempts(record._id);
    expect(attempts.map((attempt) => attempt.status)).toEqual([302, 302]);
    expect(attempts[0]!.error).toMatch(/redirect not followed/);
    expect(attempts[0]!.nextAttemptAt).toBeNull();

    redirecting = false;
    expect(await harness.queue.replayFailed()).toBe(1);
    const delivered = await deliveredAttempt(harness, record._id);
    expect(delivered).toMatchObject({ status: 200, attempt: 1, eventId });
  });

  it("a huge response body does not hold the delivery up", async () => {
    const { receiver, harness } = await setup((_request, response) => {
      response.writeHead(200, { "content-type": "text/plain" });
      response.end(Buffer.alloc(RESPONSE_CAP_BYTES * 20, 97));
    });
    harness.startWorker();
    const record = finishedTask(null);
    await harness.queue.enqueueFor({ ...record, notifyHook: receiver.url });
    expect(await deliveredAttempt(harness, record._id)).toMatchObject({ status: 200 });
  });
});

describe("which events are sent", () => {
  it("the same transition enqueued twice is delivered once, under one event id", async () => {
    const { receiver, harness } = await setup(reply(200));
    const record = { ...finishedTask(null), notifyHook: "" };
    const withHook = { ...record, notifyHook: receiver.url };
    const first = await harness.queue.enqueueFor(withHook);
    const second = await harness.queue.enqueueFor(withHook);
    expect(second).toBe(first);
    harness.startWorker();
    await deliveredAttempt(harness, record._id);
    expect(await harness.queue.enqueueFor(withHook)).toBe(first);
    // Still the one completed job: nothing new was queued.
    expect(await (await harness.job(first!))!.getState()).toBe("completed");
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]!.headers["x-mjg-event"]).toBe("task.success");
  });

  it("progress events are sent only when turned on, once per progress value", async () => {
    const receiver: Receiver = await startReceiver(reply(200));
    cleanups.push(() => receiver.close());
    const off = await notifyHarness(testSettings());
    const on = await notifyHarness(testSettings({ progressEvents: true }));
    cleanups.push(
      () => off.close(),
      () => on.close(),
    );
    const base = { ...finishedTask(receiver.url), progress: "0%", finishTime: null };

    expect(await off.queue.enqueueFor({ ...base, status: "SUBMITTED" })).toBeNull();
    expect(await off.queue.enqueueFor({ ...base, status: "IN_PROGRESS", progress: "40%" })).toBeNull();
    expect(await off.queue.enqueueFor({ ...base, status: "NOT_START" })).toBeNull();

    const submitted = await on.queue.enqueueFor({ ...base, status: "SUBMITTED" });
    const at40 = await on.queue.enqueueFor({ ...base, status: "IN_PROGRESS", progress: "40%" });
    const at40again = await on.queue.enqueueFor({ ...base, status: "IN_PROGRESS", progress: "40%" });
    const at80 = await on.queue.enqueueFor({ ...base, status: "IN_PROGRESS", progress: "80%" });
    expect(new Set([submitted, at40, at80]).size).toBe(3);
    expect(at40again).toBe(at40);
    on.startWorker();
    await waitFor(() => receiver.requests.length >= 3, "three progress events");
    expect(receiver.requests.map((request) => request.headers["x-mjg-event"]).sort()).toEqual([
      "task.progress",
      "task.progress",
      "task.submitted",
    ]);
  });

  it("a task without a notifyHook goes to the default hook, or nowhere when none is set", async () => {
    const receiver = await startReceiver(reply(200));
    const withDefault = await notifyHarness(testSettings({ defaultHook: receiver.url }));
    const withoutDefault = await notifyHarness(testSettings());
    cleanups.push(
      () => receiver.close(),
      () => withDefault.close(),
      () => withoutDefault.close(),
    );
    const record = finishedTask(null);
    expect(await withoutDefault.queue.enqueueFor(record)).toBeNull();
    expect(await withDefault.queue.enqueueFor(record)).not.toBeNull();
    withDefault.startWorker();
    await deliveredAttempt(withDefault, record._id);
    expect(JSON.parse(receiver.requests[0]!.body)).toMatchObject({ _id: record._id, notifyHook: null });
  });
});

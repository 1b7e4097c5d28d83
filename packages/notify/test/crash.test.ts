import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import {
  finishedTask,
  notifyHarness,
  reply,
  sequence,
  startReceiver,
  testSettings,
  waitFor,
} from "./helpers.js";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const childScript = fileURLToPath(new URL("./fixtures/callback-worker-process.ts", import.meta.url));
const tuning = { lockDuration: 1_000, stalledInterval: 500 };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe("worker crashes", () => {
  it("a worker killed in the middle of a delivery loses nothing: another worker delivers the event", async () => {
    const receiver = await startReceiver(
      sequence(() => {
        // The first delivery hangs until its worker dies.
      }, reply(200)),
    );
    const harness = await notifyHarness(testSettings(), tuning);
    cleanups.push(
      () => receiver.close(),
      () => harness.close(),
    );
    const record = finishedTask(receiver.url);
    const eventId = await harness.queue.enqueueFor(record);

    const child = spawn(process.execPath, ["--import", "tsx", childScript], {
      cwd: repoRoot,
      env: { ...process.env, NOTIFY_TEST_PREFIX: harness.prefix },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = once(child, "exit");
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    });
    await waitFor(() => receiver.requests.length >= 1, "the child worker's delivery to start");
    child.kill("SIGKILL");
    await exited;

    harness.startWorker();
    const delivered = await waitFor(
      async () => (await harness.attempts(record._id)).find((attempt) => attempt.delivered),
      "the second worker's delivery",
    );
    expect(delivered).toMatchObject({ eventId, status: 200 });
    expect(receiver.requests.length).toBeGreaterThanOrEqual(2);
    // The receiver can tell the two arrivals are one event.
    expect(new Set(receiver.requests.map((request) => request.body)).size).toBe(1);
    expect(new Set(receiver.requests.map((request) => request.headers["x-mjg-event"])).size).toBe(1);
  });

  it("closing a worker lets the delivery in flight finish", async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const receiver = await startReceiver((_request, response) => {
      void released.then(() => response.writeHead(200).end());
    });
    const harness = await notifyHarness(testSettings());
    cleanups.push(
      () => receiver.close(),
      () => harness.close(),
    );
    const worker = harness.startWorker();
    const record = finishedTask(receiver.url);
    await harness.queue.enqueueFor(record);
    await waitFor(() => receiver.requests.length >= 1, "the delivery to start");
    const closing = worker.close();
    setTimeout(release, 200);
    await closing;
    const attempts = await harness.attempts(record._id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ delivered: true, status: 200 });
  });
});

import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { connectRedis, keySpace, type TaskRecord } from "@mjg/shared";
import { dropPrefix, TEST_REDIS_URL, testRecord, testRedis, uniquePrefix } from "@mjg/shared/testing";
import type { Job } from "bullmq";
import { type DeliveryAttempt, readAttempts } from "../src/attempts.js";
import { CallbackQueue } from "../src/queue.js";
import type { NotifySettings } from "../src/settings.js";
import { CallbackWorker, type CallbackWorkerTuning } from "../src/worker.js";

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** Answers request number `index` (0-based); may leave the response hanging. */
export type Responder = (request: ReceivedRequest, response: ServerResponse, index: number) => void;

export interface Receiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

/** A real HTTP receiver on loopback. */
export async function startReceiver(respond: Responder, port = 0, host = "127.0.0.1"): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const received = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
      };
      requests.push(received);
      respond(received, res, requests.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const actual = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${actual}/hook`,
    port: actual,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function reply(status: number, headers: Record<string, string> = {}): Responder {
  return (_request, response) => {
    response.writeHead(status, headers).end("ok");
  };
}

/** Responders in turn: the nth request gets the nth, the last one repeats. */
export function sequence(...responders: Responder[]): Responder {
  return (request, response, index) =>
    responders[Math.min(index, responders.length - 1)]!(request, response, index);
}

export function testSettings(overrides: Partial<NotifySettings> = {}): NotifySettings {
  return {
    allowPrivate: true,
    progressEvents: false,
    backoffSeconds: [0.05, 0.1, 0.2],
    timeoutMs: 2_000,
    concurrency: 10,
    ...overrides,
  };
}

export function finishedTask(
  notifyHook: string | null,
  status: "SUCCESS" | "FAILURE" = "SUCCESS",
): TaskRecord {
  const record = testRecord({
    prompt: "a red fox in snow",
    state: "client-state-42",
    notifyHook,
    accountId: "acct1",
    submitTime: Date.now() - 60_000,
  });
  const finishTime = Date.now();
  if (status === "FAILURE") {
    return {
      ...record,
      status,
      failReason: "banned prompt",
      startTime: finishTime - 30_000,
      finishTime,
      rev: 4,
    };
  }
  return {
    ...record,
    status,
    progress: "done",
    imageUrl: "https://cdn.example.com/a.png",
    uri: "https://cdn.example.com/a.png",
    hash: "0f3b1a2c-1111-2222-3333-444455556666",
    taskId: "1234567890123456789",
    content: "a red fox in snow",
    startTime: finishTime - 30_000,
    finishTime,
    rev: 7,
  };
}

/** A queue, a worker and the Redis they share, under a prefix no other test uses. */
export async function notifyHarness(settings: NotifySettings, tuning?: CallbackWorkerTuning) {
  const prefix = uniquePrefix("notify");
  const keys = keySpace(prefix);
  const redis = testRedis();
  const connection = connectRedis(TEST_REDIS_URL, { forBullWorker: true, name: "test-notify" });
  const queue = new CallbackQueue({ connection, keys, settings });
  const workers: CallbackWorker[] = [];
  const startWorker = (workerSettings = settings, workerTuning = tuning) => {
    const worker = new CallbackWorker({
      connection,
      redis,
      keys,
      settings: workerSettings,
      retentionMs: 60_000,
      tuning: workerTuning,
    });
    worker.start();
    workers.push(worker);
    return worker;
  };
  return {
    prefix,
    keys,
    redis,
    connection,
    queue,
    startWorker,
    attempts: (taskId: string): Promise<DeliveryAttempt[]> => readAttempts(redis, keys, taskId),
    job: (eventId: string): Promise<Job | undefined> => queue.queue.getJob(eventId),
    async close() {
      for (const worker of workers) await worker.close();
      await queue.close();
      await dropPrefix(redis, prefix);
      await Promise.all([redis.quit(), connection.quit()]);
    },
  };
}

/**
 * The delivery job once it has failed for good. The state is read before the job, so the job read
 * afterwards carries its failedReason (a job read first may predate the failure).
 */
export function failedJob(harness: { job(eventId: string): Promise<Job | undefined> }, eventId: string) {
  return waitFor(async () => {
    const before = await harness.job(eventId);
    if (!before || (await before.getState()) !== "failed") return null;
    return harness.job(eventId);
  }, `the ${eventId} delivery to fail`);
}

/** Polls until the condition holds; fails after a generous timeout. */
export async function waitFor<T>(
  check: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A receiver and a notify harness for one test, both closed by the test file's `cleanups`. */
export async function receiverAndHarness(
  cleanups: Array<() => Promise<void>>,
  respond: Parameters<typeof startReceiver>[0],
  settings = testSettings(),
) {
  const receiver = await startReceiver(respond);
  const harness = await notifyHarness(settings);
  cleanups.push(
    () => receiver.close(),
    () => harness.close(),
  );
  return { receiver, harness };
}

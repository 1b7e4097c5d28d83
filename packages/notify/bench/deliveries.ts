// Deliveries per second to a local receiver with 100 deliveries in flight: `pnpm bench:notify`.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { connectRedis, keySpace, newTaskId, newTaskRecord, type TaskRecord } from "@mjg/shared";
import { dropPrefix, TEST_REDIS_URL, testRedis, uniquePrefix } from "@mjg/shared/testing";
import { CallbackQueue, CallbackWorker, type NotifySettings } from "../src/index.js";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 5_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 100);

function successRecord(hook: string): TaskRecord {
  const record = newTaskRecord({
    _id: newTaskId(),
    action: "IMAGINE",
    prompt: "a lighthouse at dusk, oil painting",
    promptEn: "a lighthouse at dusk, oil painting",
    state: null,
    notifyHook: hook,
    index: null,
    parentId: null,
    accountId: "bench",
    submitTime: Date.now() - 60_000,
  });
  return {
    ...record,
    status: "SUCCESS",
    progress: "done",
    imageUrl: "https://cdn.example.com/result.png",
    uri: "https://cdn.example.com/result.png",
    hash: "0f3b1a2c-1111-2222-3333-444455556666",
    finishTime: Date.now(),
  };
}

let received = 0;
const server = createServer((request, response) => {
  request.resume();
  request.on("end", () => {
    received += 1;
    response.writeHead(200).end();
  });
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const hook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

const prefix = uniquePrefix("bench-notify");
const keys = keySpace(prefix);
const redis = testRedis();
const connection = connectRedis(TEST_REDIS_URL, { forBullWorker: true, name: "bench-notify" });
const settings: NotifySettings = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  allowPrivate: true,
  progressEvents: false,
  backoffSeconds: [1, 5, 30],
  timeoutMs: 10_000,
  concurrency: CONCURRENCY,
};
const queue = new CallbackQueue({ connection, keys, settings });
const worker = new CallbackWorker({ connection, redis, keys, settings, retentionMs: 600_000 });

try {
  const enqueueStart = performance.now();
  for (let sent = 0; sent < EVENTS; sent += 200) {
    const batch = Array.from({ length: Math.min(200, EVENTS - sent) }, () => successRecord(hook));
    await Promise.all(batch.map((record) => queue.enqueueFor(record)));
  }
  const enqueueSeconds = (performance.now() - enqueueStart) / 1000;

  const start = performance.now();
  worker.start();
  while (received < EVENTS) await new Promise((resolve) => setTimeout(resolve, 10));
  const seconds = (performance.now() - start) / 1000;

  console.log(`events:        ${EVENTS} (signed, attempt recorded per delivery)`);
  console.log(`concurrency:   ${CONCURRENCY}`);
  console.log(`enqueue:       ${(EVENTS / enqueueSeconds).toFixed(0)} events/s`);
  console.log(`deliveries:    ${(EVENTS / seconds).toFixed(0)} deliveries/s (${seconds.toFixed(2)} s)`);
} finally {
  await worker.close();
  await queue.close();
  await dropPrefix(redis, prefix);
  await Promise.all([redis.quit(), connection.quit()]);
  server.close();
}

import { afterEach, describe, expect, it } from "vitest";
import { isPrivateAddress } from "../src/address.js";
import { checkNotifyHook } from "../src/guard.js";
import {
  failedJob,
  finishedTask,
  notifyHarness,
  reply,
  startReceiver,
  testSettings,
  waitFor,
} from "./helpers.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe("private network targets", () => {
  it("deliveries to loopback, private, metadata and mapped addresses are refused and recorded", async () => {
    const receiver = await startReceiver(reply(200));
    const harness = await notifyHarness(testSettings({ allowPrivate: false }));
    cleanups.push(
      () => receiver.close(),
      () => harness.close(),
    );
    harness.startWorker();
    const port = receiver.port;
    const hooks = [
      `http://127.0.0.1:${port}/hook`,
      `http://[::1]:${port}/hook`,
      `http://[::ffff:127.0.0.1]:${port}/hook`,
      `http://10.0.0.1:${port}/hook`,
      "http://169.254.169.254/latest/meta-data/",
      `http://localhost:${port}/hook`,
      `http://2130706433:${port}/hook`,
    ];
    const tasks = await Promise.all(
      hooks.map(async (hook) => {
        const record = finishedTask(hook);
        const eventId = await harness.queue.enqueueFor(record);
        return { hook, record, eventId: eventId! };
      }),
    );
    for (const { hook, record, eventId } of tasks) {
      const [attempt] = await waitFor(async () => {
        const attempts = await harness.attempts(record._id);
        return attempts.length > 0 ? attempts : null;
      }, `an attempt for ${hook}`);
      expect(attempt, hook).toMatchObject({ status: null, delivered: false, nextAttemptAt: null, url: hook });
      expect(attempt!.error, hook).toMatch(/^refused: .*private address/);
      const job = await failedJob(harness, eventId);
      expect(job.failedReason).toMatch(/^refused:/);
    }
    expect(receiver.requests).toHaveLength(0);
  });

  it("the same targets are delivered when private targets are allowed (sandbox mode)", async () => {
    const receiver = await startReceiver(reply(200));
    const harness = await notifyHarness(testSettings({ allowPrivate: true }));
    cleanups.push(
      () => receiver.close(),
      () => harness.close(),
    );
    harness.startWorker();
    const record = finishedTask(`http://localhost:${receiver.port}/hook`);
    await harness.queue.enqueueFor(record);
    await waitFor(
      async () => (await harness.attempts(record._id)).find((attempt) => attempt.delivered),
      "delivery",
    );
  });

  it("the submit endpoint's check refuses private hooks up front with a reason", async () => {
    for (const hook of [
      "http://127.0.0.1/hook",
      "http://[::1]:8080/",
      "http://[::ffff:127.0.0.1]/",
      "http://10.0.0.1/",
      "http://169.254.169.254/latest/meta-data/",
      "http://localhost:3000/cb",
      "https://[fd00::1]/",
      "http://0x7f000001/",
    ]) {
      const result = await checkNotifyHook(hook, false);
      expect(result, hook).toMatchObject({ ok: false, reason: "private" });
      expect(await checkNotifyHook(hook, true), hook).toEqual({ ok: true });
    }
    expect(await checkNotifyHook("http://93.184.215.14/hook", false)).toEqual({ ok: true });
    expect(await checkNotifyHook("https://[2606:4700:4700::1111]/hook", false)).toEqual({ ok: true });
    for (const hook of ["not a url", "ftp://example.com/x", "file:///etc/passwd", "javascript:alert(1)"]) {
      expect(await checkNotifyHook(hook, true), hook).toMatchObject({ ok: false, reason: "invalid" });
    }
  });
});

describe("isPrivateAddress", () => {
  it.each([
    "127.0.0.1",
    "127.255.255.254",
    "0.0.0.0",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "100.64.0.1",
    "169.254.169.254",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "[::1]",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "fe80::1%eth0",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "64:ff9b::10.0.0.1",
    "64:ff9b::a9fe:a9fe",
    "2002:7f00:1::",
    "2001:db8::1",
    "not-an-ip",
    "1:2:3",
  ])("%s is private", (ip) => {
    expect(isPrivateAddress(ip)).toBe(true);
  });

  it.each([
    "8.8.8.8",
    "93.184.215.14",
    "172.32.0.1",
    "100.128.0.1",
    "192.169.0.1",
    "2606:4700:4700::1111",
    "2a00:1450:4001:81b::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::8.8.8.8",
  ])("%s is public", (ip) => {
    expect(isPrivateAddress(ip)).toBe(false);
  });
});

import { keySpace } from "@mjg/shared";
import { dropPrefix, testRedis, uniquePrefix } from "@mjg/shared/testing";
import type { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { PacingGate } from "../src/accounts/pacing.js";
import { sleep } from "./helpers.js";

const connections: Redis[] = [];
let prefix = "";
afterEach(async () => {
  await dropPrefix(connections[0]!, prefix);
  for (const redis of connections.splice(0)) redis.disconnect();
});

/** Two gates on their own connections, as two worker processes would have. */
function twoGates(): [PacingGate, PacingGate] {
  prefix = uniquePrefix("pacing");
  const keys = keySpace(prefix);
  const a = testRedis();
  const b = testRedis();
  connections.push(a, b);
  // An hour-long hold: a waiter that slept through it would never finish the test.
  return [new PacingGate(a, keys, 3_600_000), new PacingGate(b, keys, 3_600_000)];
}

describe("the pacing gap between two interactions of an account", () => {
  it("counts from the end of a slow request, not from when it was claimed", async () => {
    const [first, second] = twoGates();
    const rule = { minIntervalMs: 100, jitterMs: 0 };
    const ticket = await first.pass("acct", rule);
    let secondAt = 0;
    const waiting = second.pass("acct", rule).then((next) => {
      secondAt = Date.now();
      return next.done();
    });
    // A request that takes longer than the gap: the other process must not send meanwhile.
    await sleep(300);
    expect(secondAt).toBe(0);
    const doneAt = Date.now();
    await ticket.done();
    await waiting;
    expect(secondAt - doneAt).toBeGreaterThanOrEqual(100 - 2);
  });

  it("lets the next request go soon after the one in flight is done, not after the whole hold", async () => {
    const [first, second] = twoGates();
    const rule = { minIntervalMs: 50, jitterMs: 0 };
    const ticket = await first.pass("acct", rule);
    const waiting = second.pass("acct", rule);
    await sleep(20);
    await ticket.done();
    const next = await waiting;
    await next.done();
  });

  it("no gap configured: no waiting at all", async () => {
    const [gate] = twoGates();
    const rule = { minIntervalMs: 0, jitterMs: 0 };
    await Promise.all([gate.pass("acct", rule), gate.pass("acct", rule)]);
  });
});

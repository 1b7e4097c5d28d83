import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { signatureHeaders } from "../src/signature.js";
import {
  finishedTask,
  notifyHarness,
  reply,
  sequence,
  startReceiver,
  testSettings,
  waitFor,
} from "./helpers.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const newSecret = () => `whsec_${randomBytes(24).toString("base64")}`;

function headersOf(request: {
  headers: Record<string, string | string[] | undefined>;
}): Record<string, string> {
  return Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value[0]! : value!]),
  );
}

describe("signed callbacks (Standard Webhooks)", () => {
  it("a receiver verifies every delivery with the standardwebhooks library, and a wrong secret fails", async () => {
    const secret = newSecret();
    const receiver = await startReceiver(sequence(reply(500), reply(200)));
    const harness = await notifyHarness(testSettings({ secret }));
    cleanups.push(
      () => receiver.close(),
      () => harness.close(),
    );
    harness.startWorker();
    const record = finishedTask(receiver.url);
    const eventId = await harness.queue.enqueueFor(record);
    await waitFor(() => receiver.requests.length >= 2, "a retry");

    for (const request of receiver.requests) {
      const headers = headersOf(request);
      expect(headers["webhook-id"]).toBe(eventId);
      expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      expect(new Webhook(secret).verify(request.body, headers)).toEqual(JSON.parse(request.body));
      expect(() => new Webhook(newSecret()).verify(request.body, headers)).toThrow();
      expect(() => new Webhook(secret).verify(`${request.body} `, headers)).toThrow();
    }
    // The secret itself never travels.
    const secretBody = secret.slice("whsec_".length);
    expect(receiver.requests.some((request) => JSON.stringify(request).includes(secretBody))).toBe(false);
  });

  it("the signature covers id, timestamp and body, as the standard defines", () => {
    const secret = newSecret();
    const body = '{"_id":"x"}';
    const headers = signatureHeaders(secret, "evt_1", 1_700_000_000, body);
    expect(headers["webhook-timestamp"]).toBe("1700000000");
    const other = signatureHeaders(secret, "evt_2", 1_700_000_000, body);
    const later = signatureHeaders(secret, "evt_1", 1_700_000_001, body);
    expect(
      new Set([headers["webhook-signature"], other["webhook-signature"], later["webhook-signature"]]).size,
    ).toBe(3);
  });
});

describe("a secret given without the whsec_ prefix", () => {
  it("signs so that the standardwebhooks library verifies it with the same string", () => {
    const secret = randomBytes(24).toString("base64");
    const body = JSON.stringify({ _id: "t1", status: "SUCCESS" });
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = signatureHeaders(secret, "evt_1", timestamp, body);
    expect(() => new Webhook(secret).verify(body, headers)).not.toThrow();
    expect(signatureHeaders(`whsec_${secret}`, "evt_1", timestamp, body)).toEqual(headers);
  });
});

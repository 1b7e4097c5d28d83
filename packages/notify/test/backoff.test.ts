import { parseEnv } from "@mjg/shared";
import { describe, expect, it } from "vitest";
import { MAX_RETRY_AFTER_MS, parseRetryAfter, retryDelayMs } from "../src/backoff.js";
import { notifyEnv, notifySettings } from "../src/settings.js";

describe("retry schedule", () => {
  const schedule = [5, 30, 120];

  it("follows the schedule with at most 20% jitter either way, then gives up", () => {
    expect(retryDelayMs(1, schedule, null, () => 0.5)).toBe(5_000);
    expect(retryDelayMs(2, schedule, null, () => 0)).toBe(24_000);
    expect(retryDelayMs(3, schedule, null, () => 1)).toBe(144_000);
    expect(retryDelayMs(4, schedule, null, () => 0.5)).toBeNull();
  });

  it("a longer Retry-After wins over the schedule, a shorter one does not", () => {
    expect(retryDelayMs(1, schedule, 60_000, () => 0.5)).toBe(60_000);
    expect(retryDelayMs(2, schedule, 1_000, () => 0.5)).toBe(30_000);
  });

  it("reads Retry-After as seconds or as an HTTP date, capped at a day", () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
    expect(parseRetryAfter("Wed, 01 Jan 2025 00:01:00 GMT", now)).toBe(60_000);
    expect(parseRetryAfter("Tue, 31 Dec 2024 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("99999999", now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});

describe("configuration", () => {
  it("defaults to a day-long schedule, unsigned, private targets refused", () => {
    const settings = notifySettings(parseEnv(notifyEnv, {}));
    expect(settings).toEqual({
      secret: undefined,
      allowPrivate: false,
      defaultHook: undefined,
      progressEvents: false,
      backoffSeconds: [5, 30, 120, 600, 1800, 3600, 10800, 21600, 43200],
      timeoutMs: 10_000,
      concurrency: 100,
    });
  });

  it("reads every variable", () => {
    const settings = notifySettings(
      parseEnv(notifyEnv, {
        NOTIFY_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        NOTIFY_ALLOW_PRIVATE: "true",
        NOTIFY_DEFAULT_HOOK: "https://hooks.example.com/mj",
        NOTIFY_PROGRESS_EVENTS: "1",
        NOTIFY_BACKOFF_SECONDS: "1, 2.5,10",
        NOTIFY_TIMEOUT_MS: "5000",
        NOTIFY_CONCURRENCY: "20",
      }),
    );
    expect(settings).toMatchObject({
      secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      allowPrivate: true,
      defaultHook: "https://hooks.example.com/mj",
      progressEvents: true,
      backoffSeconds: [1, 2.5, 10],
      timeoutMs: 5000,
      concurrency: 20,
    });
  });

  it.each([
    ["NOTIFY_SECRET", "hunter 2!"],
    ["NOTIFY_BACKOFF_SECONDS", "5,soon"],
    ["NOTIFY_DEFAULT_HOOK", "ftp://example.com"],
    ["NOTIFY_ALLOW_PRIVATE", "maybe"],
  ])("a bad %s stops start-up naming the variable", (name, value) => {
    expect(() => parseEnv(notifyEnv, { [name]: value })).toThrow(name);
  });
});

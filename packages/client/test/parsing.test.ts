import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveSettings, userPath } from "../src/cli/config.js";
import { UsageError } from "../src/cli/exit.js";
import { parseRetryAfter, SseParser } from "../src/index.js";

describe("the event-stream parser", () => {
  it("reads events split anywhere across chunks, with CRLF, LF or CR line ends", () => {
    const stream =
      'id: 1\r\ndata: {"a":1}\r\n\r\n: heartbeat\n\nevent: task\nid: 2\ndata: {"b":\ndata: 2}\n\rdata: x\r\r\n';
    for (const size of [1, 3, 7, stream.length]) {
      const parser = new SseParser();
      const events = [];
      for (let i = 0; i < stream.length; i += size) events.push(...parser.push(stream.slice(i, i + size)));
      expect(events, `chunks of ${size}`).toEqual([
        { event: "message", data: '{"a":1}', id: "1", retry: null },
        { event: "task", data: '{"b":\n2}', id: "2", retry: null },
        { event: "message", data: "x", id: "2", retry: null },
      ]);
      expect(parser.lastEventId).toBe("2");
    }
  });

  it("skips comments and events without data", () => {
    const parser = new SseParser();
    expect(parser.push(": keep-alive\n\nevent: ping\n\nretry: 100\ndata: ok\n\n")).toEqual([
      { event: "message", data: "ok", id: null, retry: 100 },
    ]);
  });
});

describe("Retry-After", () => {
  it("reads seconds and HTTP dates; anything else is no advice", () => {
    expect(parseRetryAfter("5")).toBe(5_000);
    expect(parseRetryAfter("0.5")).toBe(500);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:07 GMT", now)).toBe(7_000);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter("soon")).toBeNull();
  });
});

describe("mjg settings", () => {
  const home = mkdtempSync(join(tmpdir(), "mjg-home-"));
  const file = join(home, "config.json");
  writeFileSync(file, JSON.stringify({ url: "http://file:1", secret: "from-file" }));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it("flags win over env, env over the config file, the file over the default", () => {
    expect(resolveSettings({ flags: {}, env: {}, home })).toEqual({
      url: "http://127.0.0.1:3000",
      secret: undefined,
    });
    expect(resolveSettings({ flags: { config: file }, env: {}, home })).toEqual({
      url: "http://file:1",
      secret: "from-file",
    });
    expect(
      resolveSettings({
        flags: {},
        env: { MJG_CONFIG: file, MJG_URL: "http://env:2", MJG_SECRET: "s" },
        home,
      }),
    ).toEqual({ url: "http://env:2", secret: "s" });
    expect(
      resolveSettings({
        flags: { url: "http://flag:3", config: file },
        env: { MJG_URL: "http://env:2" },
        home,
      }),
    ).toMatchObject({ url: "http://flag:3", secret: "from-file" });
  });

  it("a named config file that is missing, or a URL that is not http(s), is a usage error", () => {
    expect(() => resolveSettings({ flags: { config: join(home, "nope.json") }, env: {}, home })).toThrow(
      UsageError,
    );
    expect(() => resolveSettings({ flags: { url: "ftp://x" }, env: {}, home })).toThrow(UsageError);
  });

  it("relative paths under `pnpm mjg` are the user's directory, not the workspace root", () => {
    expect(userPath("a.png", { npm_lifecycle_event: "mjg", INIT_CWD: "/home/me/pics" })).toBe(
      "/home/me/pics/a.png",
    );
    expect(userPath("/abs/a.png", { npm_lifecycle_event: "mjg", INIT_CWD: "/x" })).toBe("/abs/a.png");
    expect(userPath("a.png", {})).toBe(join(process.cwd(), "a.png"));
  });
});

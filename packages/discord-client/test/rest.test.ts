import { inspect } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DiscordRest, DiscordRestError } from "../src/index.js";
import { FakeRest, fakeUserToken } from "./fake-discord.js";

let rest: FakeRest;
let token: string;
let client: DiscordRest;

beforeEach(async () => {
  rest = await FakeRest.start();
  token = fakeUserToken();
  client = new DiscordRest({ token, apiUrl: rest.apiUrl, timeoutMs: 2_000 });
});

afterEach(async () => {
  await rest.stop();
});

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return (_req: unknown, res: import("node:http").ServerResponse) => {
    res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
  };
}

const imagineBody = {
  type: 2,
  guild_id: "1127618334939172884",
  channel_id: "1127618335509594196",
  application_id: "936929561302675456",
  session_id: "0f4a4d4b3c2a1f0e9d8c7b6a59483726",
  nonce: "1127632829178413056",
  data: { version: "1237876415471554623", id: "938956540159881230", name: "imagine", type: 1, options: [] },
};

describe("sending interactions", () => {
  it("a 204 is ok, sent with the bare token and browser headers", async () => {
    const result = await client.sendInteraction(imagineBody);

    expect(result).toEqual({ kind: "ok" });
    const req = rest.requests[0];
    expect(req?.method).toBe("POST");
    expect(req?.url).toBe("/api/v9/interactions");
    expect(req?.headers.authorization).toBe(token);
    expect(req?.headers["content-type"]).toBe("application/json");
    expect(req?.headers["user-agent"]).toMatch(/^Mozilla\/5\.0 .*Chrome/);
    const superProps = JSON.parse(
      Buffer.from(String(req?.headers["x-super-properties"]), "base64").toString(),
    );
    expect(superProps).toMatchObject({ browser: "Chrome", os: "Mac OS X" });
    expect(JSON.parse(req?.body ?? "")).toEqual(imagineBody);
  });

  it("a 429 tells how long to wait from the body's retry_after", async () => {
    rest.handler = json(
      429,
      { message: "You are being rate limited.", retry_after: 64.57, global: false },
      { "retry-after": "65", "x-ratelimit-scope": "user", "x-ratelimit-reset-after": "64.57" },
    );
    expect(await client.sendInteraction(imagineBody)).toEqual({
      kind: "rate_limited",
      retryAfterMs: 64_570,
      global: false,
      scope: "user",
    });
  });

  it("a global 429 is reported as global", async () => {
    rest.handler = json(
      429,
      { message: "You are being rate limited.", retry_after: 1.5, global: true },
      { "retry-after": "2", "x-ratelimit-global": "true", "x-ratelimit-scope": "global" },
    );
    expect(await client.sendInteraction(imagineBody)).toEqual({
      kind: "rate_limited",
      retryAfterMs: 1_500,
      global: true,
      scope: "global",
    });
  });

  it("a Cloudflare HTML 429 falls back to the Retry-After header", async () => {
    rest.handler = (_req, res) => {
      res.writeHead(429, { "content-type": "text/html", "retry-after": "7" }).end("<html>Error 1015</html>");
    };
    expect(await client.sendInteraction(imagineBody)).toEqual({
      kind: "rate_limited",
      retryAfterMs: 7_000,
      global: true,
      scope: "cloudflare",
    });
  });

  it("a 401 means the account is unauthorized", async () => {
    rest.handler = json(401, { message: "401: Unauthorized", code: 0 });
    expect(await client.sendInteraction(imagineBody)).toEqual({
      kind: "unauthorized",
      status: 401,
      message: "401: Unauthorized",
    });
  });

  it("a 400 Invalid Form Body carries Discord's code and message", async () => {
    rest.handler = json(400, {
      code: 50035,
      errors: {
        data: { id: { _errors: [{ code: "NUMBER_TYPE_COERCE", message: 'Value "x" is not snowflake.' }] } },
      },
      message: "Invalid Form Body",
    });
    const result = await client.sendInteraction(imagineBody);
    expect(result).toEqual({
      kind: "bad_request",
      status: 400,
      code: 50035,
      message: 'Invalid Form Body (data.id: Value "x" is not snowflake.)',
    });
  });

  it("a 404 Unknown interaction is not_found", async () => {
    rest.handler = json(404, { message: "Unknown interaction", code: 10062 });
    expect(await client.sendInteraction(imagineBody)).toEqual({
      kind: "not_found",
      code: 10062,
      message: "Unknown interaction",
    });
  });

  it("a 502 and an unreachable server are server errors to retry", async () => {
    rest.handler = (_req, res) => {
      res.writeHead(502, { "content-type": "text/html" }).end("<html>Bad Gateway</html>");
    };
    expect(await client.sendInteraction(imagineBody)).toEqual({
      kind: "server_error",
      status: 502,
      message: "HTTP 502",
    });

    const apiUrl = rest.apiUrl;
    await rest.stop();
    const result = await new DiscordRest({ token, apiUrl }).sendInteraction(imagineBody);
    expect(result.kind).toBe("server_error");
    rest = await FakeRest.start();
  });

  it("a server that never answers times out as a server error", async () => {
    rest.handler = () => {};
    const slow = new DiscordRest({ token, apiUrl: rest.apiUrl, timeoutMs: 200 });
    const result = await slow.sendInteraction(imagineBody);
    expect(result.kind).toBe("server_error");
  });

  it("a redirect is not followed", async () => {
    rest.handler = (req, res) => {
      if (req.url.startsWith("/elsewhere")) res.writeHead(204).end();
      else res.writeHead(307, { location: "/elsewhere/interactions" }).end();
    };
    const result = await client.sendInteraction(imagineBody);
    expect(result).toMatchObject({ kind: "bad_request", status: 307 });
    expect(rest.requests).toHaveLength(1);
  });

  it("a huge error body is cut, not buffered whole", async () => {
    rest.handler = (_req, res) => {
      res
        .writeHead(400, { "content-type": "application/json" })
        .end(`{"message":"${"x".repeat(5_000_000)}"}`);
    };
    const result = await client.sendInteraction(imagineBody);
    expect(result).toEqual({ kind: "bad_request", status: 400, code: null, message: "HTTP 400" });
  });
});

describe("reading from Discord", () => {
  const index = {
    applications: [{ id: "936929561302675456", name: "Midjourney Bot" }],
    application_commands: [
      { id: "938956540159881230", version: "1237876415471554623", name: "imagine", type: 1 },
    ],
  };

  it("reads the guild's application-command index", async () => {
    rest.handler = json(200, index);
    expect(await client.applicationCommandIndex("1127618334939172884")).toEqual(index);
    expect(rest.requests[0]?.url).toBe("/api/v9/guilds/1127618334939172884/application-command-index");
    expect(rest.requests[0]?.headers.authorization).toBe(token);
  });

  it("falls back to the user's command index when the guild index is refused", async () => {
    rest.handler = (req, res) => {
      if (req.url.startsWith("/api/v9/guilds/"))
        json(403, { message: "Missing Access", code: 50001 })(req, res);
      else json(200, index)(req, res);
    };
    expect(await client.applicationCommandIndex("1127618334939172884")).toEqual(index);
    expect(rest.requests.map((r) => r.url)).toEqual([
      "/api/v9/guilds/1127618334939172884/application-command-index",
      "/api/v9/users/@me/application-command-index",
    ]);
  });

  it("a rate-limited index read throws with the wait", async () => {
    rest.handler = json(429, { message: "You are being rate limited.", retry_after: 3, global: false });
    const error = await client.applicationCommandIndex("1").catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DiscordRestError);
    expect((error as DiscordRestError).result).toEqual({
      kind: "rate_limited",
      retryAfterMs: 3_000,
      global: false,
    });
  });

  it("reads recent channel messages with the query", async () => {
    rest.handler = json(200, [{ id: "2" }, { id: "1" }]);
    const messages = await client.channelMessages("1127618335509594196", {
      limit: 50,
      after: "1127632829178413056",
    });
    expect(messages).toEqual([{ id: "2" }, { id: "1" }]);
    expect(rest.requests[0]?.url).toBe(
      "/api/v9/channels/1127618335509594196/messages?limit=50&after=1127632829178413056",
    );
  });
});

describe("the token stays secret", () => {
  it("never appears in results, thrown errors or inspected clients, even when Discord echoes it", async () => {
    rest.handler = json(401, { message: `token ${token} is invalid`, code: 0 });
    const result = await client.sendInteraction(imagineBody);
    expect(result.kind).toBe("unauthorized");
    const error = await client.channelMessages("1").catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DiscordRestError);

    const secret = token.slice(token.lastIndexOf(".") + 1);
    for (const text of [
      JSON.stringify(result),
      String(error),
      inspect(error, { depth: 10 }),
      inspect(client, { showHidden: true, depth: 10 }),
      JSON.stringify(client),
    ]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(secret);
    }
  });
});

describe("answers as events", () => {
  it("every answer emits its kind and status (for metrics), never a body", async () => {
    const answers: unknown[] = [];
    client.on("answer", (answer) => answers.push(answer));
    rest.handler = json(429, { message: "You are being rate limited.", retry_after: 1, global: false });
    await client.sendInteraction(imagineBody);
    await expect(client.channelMessages("1127618335509594196", { limit: 1 })).rejects.toThrow(
      DiscordRestError,
    );
    expect(answers).toEqual([
      { method: "POST", kind: "rate_limited", status: 429 },
      { method: "GET", kind: "rate_limited", status: 429 },
    ]);
  });
});

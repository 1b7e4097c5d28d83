import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { buildApi } from "@mjg/api";
import { notifyEnv, notifySettings } from "@mjg/notify";
import { connectRedis, createLogger, keySpace, parseEnv, redisReady } from "@mjg/shared";
import {
  dropPrefix,
  fixtureLines,
  type GatewayFrame,
  hasFixtures,
  json,
  TEST_REDIS_URL,
  testRedis,
  uniquePrefix,
  until,
} from "@mjg/shared/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type WebSocket, WebSocketServer } from "ws";
import { startWorker } from "../src/worker.js";

// The ids of the captured 2023 session (../shared/discord-fixtures/gw-seq-imagine-snow-full-2023-07.jsonl).
const GUILD = "1127614059156602984";
const CHANNEL = "1127614059894820930";
const USER = "1127612768489578560";
const TOKEN = "MTEyNzYxMjc2ODQ4OTU3ODU2MA.captured.user-token";
const GRID_MESSAGE = "1127633074377728010";
const JOB_HASH = "a03e625f-383b-4592-8121-77f87ded20d4";

interface StandIn {
  apiUrl: string;
  gatewayUrl: string;
  interactions: { authorization: string | undefined; body: Record<string, unknown> }[];
  close(): Promise<void>;
}

/**
 * A Discord stand-in that knows one thing: after an /imagine of "snow" it sends, verbatim, the frames a
 * real gateway sent in 2023 (only `s` renumbered for this session, optionally our nonce added the way
 * Discord does since 2025). REST answers 204 to interactions and 404 to everything it does not know.
 */
async function captureStandIn(withNonce: boolean): Promise<StandIn> {
  const capture = fixtureLines("gw-seq-imagine-snow-full-2023-07.jsonl").filter((frame) => frame.op === 0);
  const sockets = new Set<WebSocket>();
  const interactions: StandIn["interactions"] = [];
  let seq = 0;
  const dispatch = (socket: WebSocket, t: string, d: unknown) =>
    socket.send(JSON.stringify({ op: 0, t, s: ++seq, d }));

  const replay = (nonce: string) => {
    for (const frame of capture) {
      const d = structuredClone(frame.d) as Record<string, unknown>;
      const first = frame.t === "INTERACTION_CREATE" || frame.t === "INTERACTION_SUCCESS" || frame.s === 42;
      if (withNonce && first) d.nonce = nonce;
      for (const socket of sockets) dispatch(socket, frame.t!, d);
    }
  };

  const server: Server = createServer(async (request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (request.method === "POST" && request.url === "/api/v9/interactions") {
      const body = JSON.parse(Buffer.concat(chunks).toString());
      interactions.push({ authorization: request.headers.authorization, body });
      response.writeHead(204).end();
      setTimeout(() => replay(body.nonce), 20);
      return;
    }
    if (request.method === "GET" && request.url?.startsWith(`/api/v9/channels/${CHANNEL}/messages`)) {
      response.writeHead(200, { "content-type": "application/json" }).end("[]");
      return;
    }
    response
      .writeHead(404, { "content-type": "application/json" })
      .end('{"message": "404: Not Found", "code": 0}');
  });
  const gateway = new WebSocketServer({ server });
  gateway.on("connection", (socket) => {
    socket.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41250 }, s: null, t: null }));
    socket.on("message", (raw) => {
      const frame = JSON.parse(raw.toString()) as GatewayFrame & { d: { token?: string } };
      if (frame.op === 1) socket.send(JSON.stringify({ t: null, s: null, op: 11, d: null }));
      if (frame.op === 2) {
        if (frame.d.token !== TOKEN) return socket.close(4004, "Authentication failed.");
        sockets.add(socket);
        dispatch(socket, "READY", {
          v: 9,
          user: { id: USER, username: "fengye", discriminator: "7973", global_name: null },
          guilds: [],
          session_id: "0123456789abcdef0123456789abcdef",
          resume_gateway_url: gatewayUrl,
        });
      }
    });
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const gatewayUrl = `ws://127.0.0.1:${port}/?encoding=json&v=9`;
  return {
    apiUrl: `http://127.0.0.1:${port}/api/v9`,
    gatewayUrl,
    interactions,
    async close() {
      for (const socket of gateway.clients) socket.terminate();
      gateway.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function run(withNonce: boolean) {
  const standIn = await captureStandIn(withNonce);
  cleanups.push(() => standIn.close());
  const prefix = uniquePrefix("capture");
  const keys = keySpace(prefix);
  const redis = testRedis();
  cleanups.push(async () => {
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });
  const worker = await startWorker({
    redisUrl: TEST_REDIS_URL,
    keys,
    accounts: [
      {
        id: "captured",
        token: TOKEN,
        guildId: GUILD,
        channelId: CHANNEL,
        concurrency: 3,
        queueSize: 10,
        enabled: true,
        minIntervalMs: 0,
        jitterMs: 0,
      },
    ],
    discord: { apiUrl: standIn.apiUrl, gatewayUrl: standIn.gatewayUrl },
    notify: notifySettings(parseEnv(notifyEnv, {})),
    logger: createLogger("capture-test", "silent"),
    timeoutMs: 60_000,
    retentionMs: 3_600_000,
  });
  cleanups.push(() => worker.close());
  const apiRedis = connectRedis(TEST_REDIS_URL, { failFast: true });
  await redisReady(apiRedis);
  const api = await buildApi({
    redis: apiRedis,
    keys,
    logger: false,
    timeoutMs: 60_000,
    retentionMs: 3_600_000,
  });
  const url = await api.app.listen({ port: 0, host: "127.0.0.1" });
  cleanups.push(async () => {
    await api.app.close();
    apiRedis.disconnect();
  });

  const submitted = await json(await fetch(`${url}/api/v1/trigger/submit?action=IMAGINE&prompt=snow`));
  const task = await until(
    async () => json(await fetch(`${url}/api/v1/task/fetch?_id=${submitted.result}`)),
    (current) => current.status === "SUCCESS" || current.status === "FAILURE",
  );
  return { task, standIn };
}

describe.skipIf(!hasFixtures)("against the real captured gateway session", () => {
  for (const withNonce of [false, true]) {
    it(`an /imagine of "snow" ends in SUCCESS with the captured grid (${withNonce ? "frames carry the nonce" : "2023 frames without nonce"})`, async () => {
      const { task, standIn } = await run(withNonce);
      expect(task).toMatchObject({
        status: "SUCCESS",
        progress: "done",
        hash: JOB_HASH,
        taskId: GRID_MESSAGE,
        content: "snow",
        imageUrl: `https://cdn.discordapp.com/attachments/${CHANNEL}/1127633073417224222/fengye_snow_${JOB_HASH}.png`,
      });
      expect(task.uri).toBe(task.imageUrl);
      expect(standIn.interactions).toHaveLength(1);
      const [sent] = standIn.interactions;
      // A user token goes without a prefix (discord-protocol.md §1.1).
      expect(sent!.authorization).toBe(TOKEN);
      expect(sent!.body).toMatchObject({
        type: 2,
        guild_id: GUILD,
        channel_id: CHANNEL,
        application_id: "936929561302675456",
        session_id: "0123456789abcdef0123456789abcdef",
        data: {
          name: "imagine",
          id: "938956540159881230",
          options: [{ type: 3, name: "prompt", value: "snow" }],
        },
      });
      expect(sent!.body.nonce).toMatch(/^\d{17,20}$/);
    });
  }
});

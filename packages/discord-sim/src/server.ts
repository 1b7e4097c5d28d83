import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { buildAccounts } from "./accounts.js";
import { ACTIVITY_PREFIX, createActivity } from "./activity.js";
import { type AccountState, type BotSettings, MidjourneyBot } from "./bot.js";
import { Gateway } from "./gateway.js";
import { HttpError, readBody, sendJson } from "./http-util.js";
import { RateLimits } from "./rate-limits.js";
import { createRest } from "./rest.js";
import { createRng } from "./rng.js";
import { simRoutes } from "./sim-routes.js";
import { createSnowflakes, discordTimestamp } from "./snowflake.js";
import { MessageStore } from "./store.js";
import {
  type AccountRef,
  FAILURE_KINDS,
  type FailureKind,
  type LoggerLike,
  type MaskInfo,
  type SimAccount,
  type SimControl,
  type SimStats,
  type Simulator,
  type SimulatorOptions,
} from "./types.js";
import { Uploads } from "./uploads.js";

const silent: LoggerLike = { debug() {}, info() {}, warn() {}, error() {} };

/** Start the Discord + Midjourney simulator on loopback. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const logger: LoggerLike =
    options.logger === false
      ? silent
      : (options.logger ?? pino({ name: "discord-sim", level: process.env.LOG_LEVEL ?? "warn" }));
  const host = options.host ?? "127.0.0.1";
  const accounts = buildAccounts(options.accounts, seed);
  const settings: BotSettings = {
    stepDelayMs: options.stepDelayMs ?? 0,
    progressSteps: options.progressSteps ?? [0, 31, 62, 93],
    finalWithNonce: options.finalWithNonce ?? false,
    bannedWords: options.bannedWords ?? ["bannedword"],
    failureRate: options.failureRate ?? 0,
  };
  const rng = createRng(seed);
  const ids = createSnowflakes();
  const store = new MessageStore();
  const uploads = new Uploads();
  const masks: MaskInfo[] = [];
  const rateLimits = new RateLimits();
  let port = 0;
  const origin = () => `http://${host}:${port}`;

  const byToken = new Map<string, AccountState>();
  const byId = new Map<string, AccountState>();
  const byChannel = new Map<string, AccountState>();
  const joinedAt = discordTimestamp(Date.now() - 86_400_000);
  for (const account of accounts) {
    const ctx = {
      channelId: account.channelId,
      guildId: account.guildId,
      user: { id: account.userId, username: account.username, discriminator: "0" },
      joinedAt,
      botRoleId: ids(),
    };
    const state: AccountState = {
      account,
      ctx,
      dmCtx: { ...ctx, channelId: ids(), guildId: null },
      remix: account.remix,
      running: 0,
      queue: [],
      maxRunning: 0,
      completed: 0,
      failNext: [],
      interactions: [],
      interactionCount: 0,
      nonces: new Set(),
      duplicateNonces: 0,
    };
    byToken.set(account.token, state);
    byId.set(account.id, state);
    byChannel.set(account.channelId, state);
    byChannel.set(state.dmCtx.channelId, state);
  }

  const gateway = new Gateway({
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
    resumeBufferSize: options.resumeBufferSize ?? 1_000,
    resumeUrl: () => `ws://${host}:${port}`,
    accountByToken: (token) => byToken.get(token)?.account,
    logger,
    seed,
  });
  const bot = new MidjourneyBot({ store, gateway, ids, rng, origin, settings });

  const resolve = (ref: AccountRef): AccountState => {
    const key = typeof ref === "string" ? ref : ref.id;
    const state = byId.get(key) ?? byToken.get(key);
    if (!state) throw new Error("discord-sim: unknown account");
    return state;
  };

  const control: SimControl = {
    setStepDelay(ms) {
      settings.stepDelayMs = Math.max(0, ms);
    },
    failNext(account, kind: FailureKind) {
      if (!FAILURE_KINDS.includes(kind)) throw new Error(`discord-sim: unknown failure kind ${kind}`);
      resolve(account).failNext.push(kind);
    },
    rateLimitNext(target, spec) {
      const key = target === "global" ? "global" : resolve(target).account.id;
      rateLimits.add(key, spec.retryAfter, spec.count ?? 1);
    },
    reconnect: (account) => gateway.reconnect(resolve(account).account),
    invalidateSession: (account, resumable) => gateway.invalidateSession(resolve(account).account, resumable),
    dropSocket: (account) => gateway.dropSocket(resolve(account).account),
    closeSocket: (account, code) => gateway.closeSocket(resolve(account).account, code),
    setFinalWithNonce(value) {
      settings.finalWithNonce = value;
    },
    setFailureRate(rate) {
      settings.failureRate = Math.min(1, Math.max(0, rate));
    },
    setBannedWords(words) {
      settings.bannedWords = [...words];
    },
    setRemix(account, remix) {
      resolve(account).remix = remix;
    },
  };

  const stats = (): SimStats => {
    const list = accounts.map((account) => {
      const st = byId.get(account.id)!;
      const gw = gateway.stats.get(account.id) ?? { connects: 0, identifies: 0, resumes: 0 };
      return {
        id: account.id,
        interactions: [...st.interactions],
        interactionCount: st.interactionCount,
        duplicateNonces: st.duplicateNonces,
        maxConcurrentJobs: st.maxRunning,
        runningJobs: st.running,
        queuedJobs: st.queue.length,
        completedJobs: st.completed,
        gateway: { ...gw, sessions: gateway.sessionCount(account.id) },
      };
    });
    const sum = (f: (a: (typeof list)[number]) => number) => list.reduce((n, a) => n + f(a), 0);
    return {
      accounts: list,
      totals: {
        interactions: sum((a) => a.interactionCount),
        duplicateNonces: sum((a) => a.duplicateNonces),
        completedJobs: sum((a) => a.completedJobs),
        runningJobs: sum((a) => a.runningJobs),
        queuedJobs: sum((a) => a.queuedJobs),
        rateLimited: rateLimits.hits,
        gateway: {
          connects: sum((a) => a.gateway.connects),
          identifies: sum((a) => a.gateway.identifies),
          resumes: sum((a) => a.gateway.resumes),
          sessions: sum((a) => a.gateway.sessions),
        },
      },
    };
  };

  const urls = () => ({
    apiUrl: `${origin()}/api/v9`,
    gatewayUrl: `ws://${host}:${port}/?encoding=json&v=9`,
    activityUrl: `${origin()}${ACTIVITY_PREFIX}`,
  });
  const rest = createRest({
    bot,
    store,
    uploads,
    rateLimits,
    ids,
    rng,
    origin,
    gatewayBase: () => `ws://${host}:${port}`,
    stateByToken: (token) => byToken.get(token),
    stateByChannel: (channelId) => byChannel.get(channelId),
  });
  const sim = simRoutes({
    control,
    stats,
    accounts: () => accounts.map((a) => ({ ...a, remix: byId.get(a.id)!.remix })),
    urls,
    uploads: () => uploads.list(),
    masks: () => [...masks],
  });
  const activity = createActivity({ bot, stateOfToken: (t) => bot.inpaintOwner(t), masks });

  const server = createServer({ keepAliveTimeout: 65_000 }, (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://sim");
    const handled = url.pathname.startsWith("/_sim/")
      ? sim(url.pathname, req.method ?? "GET", () => readJson(req), res)
      : url.pathname.startsWith(`${ACTIVITY_PREFIX}/`)
        ? activity(req, res, url.pathname)
        : rest(req, res, url);
    handled
      .then((ok) => {
        if (!ok && !res.headersSent) sendJson(res, 404, { message: "404: Not Found", code: 0 });
      })
      .catch((err: unknown) => {
        if (res.headersSent) return;
        if (err instanceof HttpError) return sendJson(res, err.status, err.body);
        logger.error({ err, path: url.pathname }, "discord-sim request failed");
        sendJson(res, 500, { message: "500: Internal Server Error", code: 0 });
      });
  });
  server.on("upgrade", (req, socket, head) => gateway.handleUpgrade(req, socket, head));
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(options.port ?? 0, host, () => ok());
  });
  port = (server.address() as AddressInfo).port;
  logger.info({ url: origin(), accounts: accounts.length }, "discord-sim listening");

  return {
    url: origin(),
    ...urls(),
    accounts: accounts as SimAccount[],
    control,
    stats,
    uploads: () => uploads.list(),
    masks: () => [...masks],
    async close() {
      bot.close();
      await gateway.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req, 1 << 20);
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new HttpError(400, { message: "body is not JSON" });
  }
}

import { type AccountStatus, type KeySpace, MjError } from "@mjg/shared";
import { type MjAccount, MjAccountSchema } from "@mjg/shared/mj-account";
import type { FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { z } from "zod";
import { openApiSchema } from "../http/openapi.js";
import type { MjDeps } from "./index.js";
import { refusals } from "./tasks/openapi.js";

const account = openApiSchema(MjAccountSchema);
const mjAccountResponse = { 200: { description: "One account (safe fields)", ...account }, ...refusals };
const mjAccountListResponse = {
  200: { description: "Accounts (safe fields)", type: "array", items: account },
  ...refusals,
};

const AccountParamsSchema = z.object({ id: z.string() });

export interface Counts {
  running: number;
  load: number;
}

export function mjAccount(status: AccountStatus, counts: Counts, timeoutMs: number): MjAccount {
  return {
    id: status.id,
    channelId: status.channelId ?? null,
    guildId: status.guildId ?? null,
    enable: status.enabled,
    coreSize: status.concurrency,
    queueSize: status.queueSize,
    timeoutMinutes: timeoutMs / 60_000,
    remix: status.remix ?? false,
    modes: status.modes ?? ["FAST", "RELAX", "TURBO"],
    runningCount: counts.running,
    queuedCount: Math.max(0, counts.load - counts.running),
    disabledReason: status.disabledReason,
  };
}

/** Unexpired entries of each account's running and load ZSETs, in one round trip. */
export async function accountCounts(
  redis: Redis,
  keys: KeySpace,
  ids: string[],
  now = Date.now(),
): Promise<Counts[]> {
  if (ids.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const id of ids) {
    pipeline.zcount(keys.accountRunning(id), now, "+inf");
    pipeline.zcount(keys.accountLoad(id), now, "+inf");
  }
  const results = (await pipeline.exec()) ?? [];
  return ids.map((_, i) => ({
    running: Number(results[i * 2]?.[1] ?? 0),
    load: Number(results[i * 2 + 1]?.[1] ?? 0),
  }));
}

/** `GET /mj/account/list` and `GET /mj/account/{id}/fetch`: bare JSON, never a token. */
export function mjAccountRoutes(app: FastifyInstance, deps: MjDeps): void {
  const { directory, redis, keys, store } = deps;
  app.get(
    "/account/list",
    {
      schema: {
        tags: ["mj"],
        summary: "Discord accounts (safe fields only)",
        response: mjAccountListResponse,
      },
    },
    async (): Promise<MjAccount[]> => {
      const accounts = await directory.list();
      const counts = await accountCounts(
        redis,
        keys,
        accounts.map((account) => account.id),
      );
      return accounts.map((account, i) => mjAccount(account, counts[i]!, store.timeoutMs));
    },
  );
  app.get(
    "/account/:id/fetch",
    {
      schema: {
        tags: ["mj"],
        summary: "One Discord account (safe fields only)",
        params: openApiSchema(AccountParamsSchema),
        response: mjAccountResponse,
      },
    },
    async (request): Promise<MjAccount> => {
      const { id } = request.params as { id: string };
      const account = await directory.get(id);
      if (!account) throw new MjError("ACCOUNT_NOT_FOUND");
      const [counts] = await accountCounts(redis, keys, [id]);
      return mjAccount(account, counts!, store.timeoutMs);
    },
  );
}

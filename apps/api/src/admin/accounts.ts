import { type AccountStatus, ApiError, type KeySpace } from "@mjg/shared";
import type { FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { z } from "zod";
import type { QueueCatalog } from "./queues.js";

/** One row of GET /admin/accounts: the registry's public status plus live counts; never a token. */
export interface AccountView {
  id: string;
  enabled: boolean;
  disabledReason: string | null;
  owner: string | null;
  gateway: string;
  running: number;
  waiting: number;
  load: number;
  concurrency: number;
  queueSize: number;
  lastError: string | null;
  updatedAt: number;
}

const DisableBodySchema = z
  .object({ reason: z.string().trim().min(1).max(500).optional() })
  .optional()
  .nullable();

const AccountParamsSchema = z.object({ id: z.string().min(1).max(64) });

export const OPERATOR_DISABLED = "disabled by an operator";

/** What workers hear on `keys.accountEvents` when an operator flips an account. */
export interface AccountEvent {
  id: string;
  enabled: boolean;
  disabledReason: string | null;
}

export function accountRoutes(
  app: FastifyInstance,
  catalog: QueueCatalog,
  redis: Redis,
  keys: KeySpace,
): void {
  app.get(
    "/accounts",
    { schema: { tags: ["admin"], summary: "Every account with live counts" } },
    async () => {
      const { accounts } = await catalog.refresh();
      const loads = await catalog.directory.loads(accounts.map((account) => account.id));
      const depths = await catalog.depths(accounts.map((account) => catalog.accountQueue(account.id)));
      return accounts.map((account, i): AccountView => {
        const depth = depths.get(keys.accountQueue(account.id));
        return view(
          account,
          depth?.active ?? 0,
          (depth?.waiting ?? 0) + (depth?.delayed ?? 0),
          loads[i] ?? 0,
        );
      });
    },
  );

  const flip = async (id: string, enabled: boolean, reason: string | null) => {
    const status = await catalog.directory.patch(id, { enabled, disabledReason: reason });
    if (!status) throw new ApiError("ACCOUNT_NOT_FOUND");
    const event: AccountEvent = { id, enabled, disabledReason: reason };
    // Workers poll the registry anyway; the announcement only makes them react sooner.
    await redis.publish(keys.accountEvents, JSON.stringify(event));
    return status;
  };

  app.post(
    "/accounts/:id/enable",
    { schema: { tags: ["admin"], summary: "Put an account back into rotation" } },
    async (request) => {
      const { id } = parse(AccountParamsSchema, request.params);
      return publicStatus(await flip(id, true, null));
    },
  );

  app.post(
    "/accounts/:id/disable",
    { schema: { tags: ["admin"], summary: "Take an account out of rotation; body {reason} optional" } },
    async (request) => {
      const { id } = parse(AccountParamsSchema, request.params);
      const body = parse(DisableBodySchema, emptyToUndefined(request.body));
      return publicStatus(await flip(id, false, body?.reason ?? OPERATOR_DISABLED));
    },
  );
}

function view(account: AccountStatus, running: number, waiting: number, load: number): AccountView {
  return { ...publicStatus(account), running, waiting, load };
}

// Field by field: whatever else a registry entry might carry never leaves.
function publicStatus(account: AccountStatus) {
  return {
    id: account.id,
    enabled: account.enabled,
    disabledReason: account.disabledReason,
    owner: account.owner,
    gateway: account.gateway,
    concurrency: account.concurrency,
    queueSize: account.queueSize,
    lastError: account.lastError,
    updatedAt: account.updatedAt,
  };
}

function emptyToUndefined(body: unknown): unknown {
  return body === "" || (typeof body === "object" && body !== null && Object.keys(body).length === 0)
    ? undefined
    : body;
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ApiError("INVALID_FIELD", parsed.error.issues[0]?.message);
  return parsed.data;
}

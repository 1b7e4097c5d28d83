import type { KeySpace } from "@mjg/shared";
import type { FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { requireRedis } from "../http/health.js";
import { accountRoutes } from "./accounts.js";
import { queueBoard } from "./board.js";
import { callbackRoutes } from "./callbacks.js";
import { requireAdmin } from "./guard.js";
import type { QueueCatalog } from "./queues.js";

export { type AccountEvent, type AccountView, OPERATOR_DISABLED } from "./accounts.js";
export { adminSecret, requireAdmin } from "./guard.js";
export { DEPTH_STATES, type DepthState, QueueCatalog, type WatchedQueue } from "./queues.js";

export interface AdminOptions {
  redis: Redis;
  keys: KeySpace;
  /** The queues and accounts the admin surfaces show (shared with /metrics). */
  catalog: QueueCatalog;
  /** Undefined: the admin surfaces are open (sandbox and development). */
  secret: string | undefined;
}

/** /admin/queues (bull-board) and /admin/accounts (view and enable/disable), behind the admin secret. */
export async function adminRoutes(app: FastifyInstance, options: AdminOptions): Promise<void> {
  const { catalog } = options;
  await app.register(
    async (admin) => {
      if (options.secret) admin.addHook("onRequest", requireAdmin(options.secret));
      await admin.register(async (accounts) => {
        accounts.addHook("onRequest", requireRedis(options.redis));
        accountRoutes(accounts, catalog, options.redis, options.keys);
        callbackRoutes(accounts, options.redis, options.keys);
      });
      await queueBoard(admin, catalog, { prefix: "/queues", basePath: "/admin/queues" });
    },
    { prefix: "/admin" },
  );
}

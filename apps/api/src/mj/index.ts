import type { AccountDirectory, KeySpace, SpeedMode, TaskStore } from "@mjg/shared";
import type { FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { capacityRoute } from "../capacity/route.js";
import type { TaskEventHub } from "../events/index.js";
import { requireSecret } from "../http/auth.js";
import { requireRedis } from "../http/health.js";
import type { IdempotencyHooks } from "../idempotency/index.js";
import type { TaskSubmitter } from "../submit/service.js";
import { mjAccountRoutes } from "./accounts.js";
import { installMjErrorHandler } from "./envelope.js";
import { mjSubmitRoutes } from "./submit/routes.js";
import { mjTaskRoutes } from "./tasks/routes.js";

/** What every `/mj` route module receives: the shared services and the speed mode of its prefix. */
export interface MjDeps {
  store: TaskStore;
  submitter: TaskSubmitter;
  directory: AccountDirectory;
  redis: Redis;
  keys: KeySpace;
  promptMaxLength: number;
  /** The process's one subscription to task changes, shared by every event stream. */
  events: TaskEventHub;
  /** Route hooks of every submit route (Idempotency-Key). */
  idempotency: IdempotencyHooks;
  /** FAST / RELAX / TURBO under `/mj-fast/mj` etc.; null under `/mj`. */
  mode: SpeedMode | null;
}

export interface MjOptions extends Omit<MjDeps, "mode"> {
  apiSecret?: string | undefined;
}

/** TA's speed-mode prefixes (contract §1.1); new-api forwards `/mj-…` as is. */
export const MJ_PREFIXES: readonly (readonly [string, SpeedMode | null])[] = [
  ["/mj", null],
  ["/mj-fast/mj", "FAST"],
  ["/mj-relax/mj", "RELAX"],
  ["/mj-turbo/mj", "TURBO"],
];

/** The midjourney-proxy `/mj` API under its four prefixes, each scope with its own envelope. */
export async function mjApi(app: FastifyInstance, options: MjOptions): Promise<void> {
  const { apiSecret, ...shared } = options;
  for (const [prefix, mode] of MJ_PREFIXES) {
    await app.register(
      async (scope, deps: MjDeps) => {
        installMjErrorHandler(scope);
        if (apiSecret) scope.addHook("onRequest", requireSecret(apiSecret));
        scope.addHook("onRequest", requireRedis(deps.redis));
        mjSubmitRoutes(scope, deps);
        mjTaskRoutes(scope, deps);
        mjAccountRoutes(scope, deps);
        capacityRoute(scope, "/capacity", ["mj"], deps);
      },
      { prefix, ...shared, mode },
    );
  }
}

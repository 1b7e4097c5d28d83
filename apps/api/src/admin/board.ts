import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import type { IServerAdapter } from "@bull-board/api/typings/app";
import { FastifyAdapter } from "@bull-board/fastify";
import { ERRORS, refusal } from "@mjg/shared";
import type { FastifyInstance } from "fastify";
import type { QueueCatalog } from "./queues.js";

// Page loads fetch several board resources at once: one registry read serves them all.
const REFRESH_EVERY_MS = 1_000;

/**
 * bull-board showing every account queue and the callback queue, registered under `prefix` in the
 * given scope; `basePath` is the full path the browser sees (the board builds its links from it).
 */
export async function queueBoard(
  app: FastifyInstance,
  catalog: QueueCatalog,
  mount: { prefix: string; basePath: string },
): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(mount.basePath);
  // The Fastify adapter pins an older patch release of @bull-board/api; the interface is the same.
  const board = createBullBoard({ queues: [], serverAdapter: serverAdapter as unknown as IServerAdapter });
  const adapters = new Map<string, BullMQAdapter>();
  let refreshed = 0;
  let refreshing: Promise<void> | null = null;

  const refresh = async () => {
    const { queues } = await catalog.refresh();
    board.replaceQueues(
      queues.map((watched) => {
        let adapter = adapters.get(watched.name);
        if (!adapter) {
          adapter = new BullMQAdapter(watched.queue, {
            displayName: watched.accountId === null ? "callbacks" : `account ${watched.accountId}`,
            description: watched.accountId === null ? "callback deliveries" : "tasks of this Discord account",
          });
          adapters.set(watched.name, adapter);
        }
        return adapter;
      }),
    );
    refreshed = Date.now();
  };

  await app.register(
    async (scope) => {
      // Accounts registered after start appear without a restart.
      scope.addHook("onRequest", async (request, reply) => {
        if (Date.now() - refreshed < REFRESH_EVERY_MS) return;
        refreshing ??= refresh().finally(() => {
          refreshing = null;
        });
        try {
          await refreshing;
        } catch (error) {
          // Answered here: the board's own error handler does not speak the seed's envelope.
          request.log.warn({ err: (error as Error).message }, "queue board refresh failed");
          return reply.status(503).send(refusal(ERRORS.REDIS_UNAVAILABLE.message));
        }
      });
      await scope.register(serverAdapter.registerPlugin());
    },
    { prefix: mount.prefix },
  );
}

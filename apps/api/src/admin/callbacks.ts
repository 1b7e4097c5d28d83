import { CallbackQueue, notifyEnv, notifySettings } from "@mjg/notify";
import { ApiError, type KeySpace, parseEnv } from "@mjg/shared";
import type { FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { z } from "zod";

const ReplayBodySchema = z.object({ limit: z.coerce.number().int().min(1).max(100_000).default(1000) });

/** POST /admin/callbacks/replay: deliveries that ran out of retries go back in the queue with a fresh schedule. */
export function callbackRoutes(app: FastifyInstance, redis: Redis, keys: KeySpace): void {
  // Replaying only moves failed jobs back; the delivery settings belong to the workers.
  const callbacks = new CallbackQueue({
    connection: redis,
    keys,
    settings: notifySettings(parseEnv(notifyEnv, {})),
  });
  app.addHook("onClose", async () => callbacks.close());
  app.post(
    "/callbacks/replay",
    { schema: { tags: ["admin"], summary: "Re-queue callback deliveries that ran out of retries" } },
    async (request) => {
      const parsed = ReplayBodySchema.safeParse(request.body ?? {});
      if (!parsed.success) throw new ApiError("INVALID_FIELD", "limit must be an integer from 1 to 100000");
      return { replayed: await callbacks.replayFailed(parsed.data.limit) };
    },
  );
}

import type { AccountDirectory, KeySpace } from "@mjg/shared";
import type { FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { openApiSchema } from "../http/openapi.js";
import { accountCounts } from "../mj/accounts.js";
import { type Capacity, CapacitySchema, capacityOf } from "./capacity.js";

export interface CapacityDeps {
  directory: AccountDirectory;
  redis: Redis;
  keys: KeySpace;
}

/** Reads the pool's room now: the registry, then each account's load and running counts (one pipeline). */
export async function readCapacity(deps: CapacityDeps): Promise<Capacity> {
  const accounts = await deps.directory.list();
  const counts = await accountCounts(
    deps.redis,
    deps.keys,
    accounts.map((account) => account.id),
  );
  return capacityOf(accounts, counts);
}

/** `GET <url>`: the room a client can fill before it gets 429 (per speed mode), as bare JSON. */
export function capacityRoute(app: FastifyInstance, url: string, tags: string[], deps: CapacityDeps): void {
  app.get(
    url,
    {
      schema: {
        tags,
        summary: "Free task slots, queued and running tasks of the account pool, in total and per speed mode",
        description:
          "free: tasks the enabled accounts take before submits answer 429; queued: waiting for a Midjourney slot; running: on Midjourney's side.",
        response: { 200: { description: "The pool's room", ...openApiSchema(CapacitySchema) } },
      },
    },
    async (): Promise<Capacity> => readCapacity(deps),
  );
}

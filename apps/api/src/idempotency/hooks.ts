import { ApiError } from "@mjg/shared";
import type { FastifyReply, FastifyRequest, onSendHookHandler, preHandlerHookHandler } from "fastify";
import { requestFields } from "../http/fields.js";
import {
  IDEMPOTENCY_FIELD,
  IDEMPOTENCY_HEADER,
  idempotencyKeyOf,
  requestFingerprint,
} from "./fingerprint.js";
import type { IdempotencyStore } from "./store.js";

/** Sent with a replayed first answer, so a client (or its logs) can tell it from a new one. */
export const REPLAYED_HEADER = "idempotent-replayed";
// How long a duplicate waits for the first request's answer (upload-discord-images waits up to 60 s).
const DUPLICATE_WAIT_MS = 65_000;

interface Held {
  key: string;
  fingerprint: string;
  token: string;
}

/** Route-level hooks making a submit route idempotent; add them to every route that creates tasks. */
export interface IdempotencyHooks {
  preHandler: preHandlerHookHandler;
  onSend: onSendHookHandler;
}

/**
 * `Idempotency-Key` (header, or the `idempotencyKey` field): the same key with the same fields on the
 * same route answers the first answer again and creates nothing; another request under the key is
 * refused with 409. Requests without a key are untouched.
 */
export function idempotencyHooks(store: IdempotencyStore): IdempotencyHooks {
  const held = new WeakMap<FastifyRequest, Held>();

  const preHandler = async (request: FastifyRequest, reply: FastifyReply) => {
    const fields = requestFields(request);
    const key = idempotencyKeyOf(request.headers[IDEMPOTENCY_HEADER], fields[IDEMPOTENCY_FIELD]);
    dropField(request.query);
    dropField(request.body);
    if (key === undefined) return;
    if (key === null)
      throw new ApiError("INVALID_FIELD", "Idempotency-Key must be 1 to 255 visible ASCII characters");
    const { [IDEMPOTENCY_FIELD]: _key, ...rest } = fields;
    const fingerprint = requestFingerprint(request.routeOptions.url ?? request.url, rest);
    const claim = await store.claimOrWait(key, fingerprint, DUPLICATE_WAIT_MS);
    if (claim.outcome === "claimed") {
      held.set(request, { key, fingerprint, token: claim.token });
      return;
    }
    if (claim.outcome === "conflict") throw new ApiError("IDEMPOTENCY_KEY_REUSED");
    if (claim.outcome === "pending") throw new ApiError("IDEMPOTENCY_KEY_IN_USE");
    const { answer } = claim;
    return reply
      .status(answer.status)
      .header("content-type", answer.contentType)
      .header(REPLAYED_HEADER, "true")
      .send(answer.body);
  };

  const onSend = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const claim = held.get(request);
    if (!claim) return payload;
    held.delete(request);
    try {
      if (reply.statusCode >= 200 && reply.statusCode < 300 && typeof payload === "string") {
        await store.settle(claim.key, claim.fingerprint, claim.token, {
          status: reply.statusCode,
          contentType: String(reply.getHeader("content-type") ?? "application/json; charset=utf-8"),
          body: payload,
        });
      } else {
        await store.abandon(claim.key, claim.token);
      }
    } catch (error) {
      // The answer still goes out; the claim lapses on its own and a retry would run again.
      request.log.warn({ err: (error as Error).message }, "idempotency answer not kept");
    }
    return payload;
  };

  return { preHandler, onSend } as IdempotencyHooks;
}

function dropField(container: unknown): void {
  if (container !== null && typeof container === "object" && IDEMPOTENCY_FIELD in container)
    delete (container as Record<string, unknown>)[IDEMPOTENCY_FIELD];
}

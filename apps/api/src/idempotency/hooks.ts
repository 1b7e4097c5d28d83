import { ApiError } from "@mjg/shared";
import type {
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  onSendHookHandler,
  preHandlerHookHandler,
} from "fastify";
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

type OnSendDone = (error: Error | null, payload: unknown) => void;

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

  /** Claims the key, or answers for it (a replay, or a 409); false: the route runs as usual. */
  const answerForKey = async (
    request: FastifyRequest,
    reply: FastifyReply,
    key: string,
    fields: Record<string, unknown>,
  ) => {
    const { [IDEMPOTENCY_FIELD]: _key, ...rest } = fields;
    const fingerprint = requestFingerprint(request.routeOptions.url ?? request.url, rest);
    const claim = await store.claimOrWait(key, fingerprint, DUPLICATE_WAIT_MS);
    if (claim.outcome === "claimed") {
      held.set(request, { key, fingerprint, token: claim.token });
      return false;
    }
    if (claim.outcome === "conflict") throw new ApiError("IDEMPOTENCY_KEY_REUSED");
    if (claim.outcome === "pending") throw new ApiError("IDEMPOTENCY_KEY_IN_USE");
    const { answer } = claim;
    reply
      .status(answer.status)
      .header("content-type", answer.contentType)
      .header(REPLAYED_HEADER, "true")
      .send(answer.body);
    return true;
  };

  // Callback hooks: a request without a key (most of them) passes without a promise.
  const preHandler = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    if (
      request.headers[IDEMPOTENCY_HEADER] === undefined &&
      !hasField(request.query) &&
      !hasField(request.body)
    )
      return done();
    const fields = requestFields(request);
    const key = idempotencyKeyOf(request.headers[IDEMPOTENCY_HEADER], fields[IDEMPOTENCY_FIELD]);
    dropField(request.query);
    dropField(request.body);
    if (key === undefined) return done();
    if (key === null)
      return done(new ApiError("INVALID_FIELD", "Idempotency-Key must be 1 to 255 visible ASCII characters"));
    answerForKey(request, reply, key, fields).then(
      // Replayed: the reply is out, and Fastify skips the handler.
      (answered) => {
        if (!answered) done();
      },
      (error: Error) => done(error),
    );
  };

  const onSend = (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: OnSendDone) => {
    const claim = held.get(request);
    if (!claim) return done(null, payload);
    held.delete(request);
    const kept =
      reply.statusCode >= 200 && reply.statusCode < 300 && typeof payload === "string"
        ? store.settle(claim.key, claim.fingerprint, claim.token, {
            status: reply.statusCode,
            contentType: String(reply.getHeader("content-type") ?? "application/json; charset=utf-8"),
            body: payload,
          })
        : store.abandon(claim.key, claim.token);
    kept.then(
      () => done(null, payload),
      (error: Error) => {
        // The answer still goes out; the claim lapses on its own and a retry would run again.
        request.log.warn({ err: error.message }, "idempotency answer not kept");
        done(null, payload);
      },
    );
  };

  return { preHandler, onSend } as IdempotencyHooks;
}

function hasField(container: unknown): boolean {
  return container !== null && typeof container === "object" && IDEMPOTENCY_FIELD in container;
}

function dropField(container: unknown): void {
  if (hasField(container)) delete (container as Record<string, unknown>)[IDEMPOTENCY_FIELD];
}

import {
  asMjError,
  isRedisUnavailable,
  MJ_CODES,
  MJ_RETRY_AFTER_SECONDS,
  MJ_TEXTS,
  MjError,
  type MjErrorCode,
} from "@mjg/shared";
import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";

/** What every `/mj` submit answer and refusal looks like (midjourney-proxy `SubmitResultVO`). */
export interface MjEnvelope<R = string | string[] | null> {
  code: number;
  description: string;
  result: R;
  properties: Record<string, unknown>;
}

/**
 * A task was accepted: code 1 when nothing waits ahead on its account, else code 22 with the
 * count (clients treat both as success). `discordInstanceId` names the account.
 */
export function mjSubmitted(
  taskId: string,
  accountId: string,
  ahead: number,
  extra: Record<string, unknown> = {},
): MjEnvelope<string> {
  const properties = { discordInstanceId: accountId, ...extra };
  if (ahead > 0)
    return {
      code: MJ_CODES.IN_QUEUE,
      description: MJ_TEXTS.inQueue(ahead),
      result: taskId,
      properties: { ...properties, numberOfQueues: ahead },
    };
  return { code: MJ_CODES.SUCCESS, description: MJ_TEXTS.SUBMITTED, result: taskId, properties };
}

/** A MODAL task waits for `/mj/submit/modal` (code 21). */
export function mjModal(taskId: string, accountId: string, finalPrompt: string | null): MjEnvelope<string> {
  return {
    code: MJ_CODES.MODAL,
    description: MJ_TEXTS.MODAL,
    result: taskId,
    properties: { discordInstanceId: accountId, finalPrompt: finalPrompt ?? "", remix: true },
  };
}

/** A plain success whose result is not a new task (uploaded image URLs, a seed). */
export function mjSuccess<R extends string | string[]>(
  result: R,
  properties: Record<string, unknown> = {},
): MjEnvelope<R> {
  return { code: MJ_CODES.SUCCESS, description: MJ_TEXTS.SUBMITTED, result, properties };
}

export function mjRefusal(error: MjError): MjEnvelope<null> {
  return { code: error.code, description: error.message, result: null, properties: error.properties };
}

/** Fastify's own refusals (body parsing, limits) in the `/mj` catalogue, by HTTP status. */
function fastifyRefusal(error: FastifyError): MjErrorCode | null {
  if (error instanceof SyntaxError) return "INVALID_BODY";
  const status = error.statusCode;
  if (status === 413) return "BODY_TOO_LARGE";
  if (status === 415) return "UNSUPPORTED_MEDIA_TYPE";
  if (status === 401) return "UNAUTHORIZED";
  if (status === 404) return "ROUTE_NOT_FOUND";
  if (typeof status === "number" && status >= 400 && status < 500) return "INVALID_BODY";
  return null;
}

/** Sends a `/mj` refusal with its status, and `Retry-After` on 429 / 503. */
export function sendMjRefusal(reply: FastifyReply, error: MjError): FastifyReply {
  if (error.status === 429 || error.status === 503)
    reply.header("retry-after", String(MJ_RETRY_AFTER_SECONDS));
  return reply.status(error.status).send(mjRefusal(error));
}

/**
 * Inside a `/mj` scope every refusal leaves as `{code, description, result: null, properties: {}}`
 * with the catalogue's status; an unexpected failure is a code 9, never a bare 500 page.
 */
export function installMjErrorHandler(scope: FastifyInstance): void {
  scope.setErrorHandler((error: FastifyError, request, reply) => {
    const known = asMjError(error);
    if (known) return sendMjRefusal(reply, known);
    if (isRedisUnavailable(error)) {
      request.log.warn({ err: error.message }, "redis unavailable");
      return sendMjRefusal(reply, new MjError("REDIS_UNAVAILABLE"));
    }
    const mapped = fastifyRefusal(error);
    if (mapped) return sendMjRefusal(reply, new MjError(mapped));
    request.log.error({ err: error }, "unhandled error");
    return sendMjRefusal(reply, new MjError("INTERNAL"));
  });
  scope.setNotFoundHandler((_request, reply) => sendMjRefusal(reply, new MjError("ROUTE_NOT_FOUND")));
}

import {
  ApiError,
  asMjError,
  ERRORS,
  type ErrorCode,
  isRedisUnavailable,
  MjError,
  refusal,
} from "@mjg/shared";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { sendMjRefusal } from "../mj/envelope.js";
import { MJ_PREFIXES } from "../mj/index.js";

export const SUCCESS_DESCRIPTION = "成功";

export function success(result: string) {
  return { code: 1 as const, description: SUCCESS_DESCRIPTION, result };
}

// Fastify's own refusals (body parsing, limits) mapped onto the catalogue.
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: "INVALID_JSON",
  FST_ERR_CTP_EMPTY_JSON_BODY: "INVALID_JSON",
  FST_ERR_CTP_BODY_TOO_LARGE: "BODY_TOO_LARGE",
  FST_REQ_FILE_TOO_LARGE: "BODY_TOO_LARGE",
  FST_PARTS_LIMIT: "BODY_TOO_LARGE",
  FST_FILES_LIMIT: "BODY_TOO_LARGE",
  FST_FIELDS_LIMIT: "BODY_TOO_LARGE",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "INVALID_BODY",
  FST_INVALID_MULTIPART_CONTENT_TYPE: "INVALID_BODY",
  FST_PROTO_VIOLATION: "INVALID_BODY",
  FST_INVALID_JSON_FIELD_ERROR: "INVALID_BODY",
  FST_MP_PREMATURE_CLOSE: "INVALID_BODY",
  FST_NO_FORM_DATA: "INVALID_BODY",
};

/** The catalogue entry of a refusal raised anywhere; null for an unexpected failure. */
function refusalOf(error: FastifyError): { code: ErrorCode; message: string } | null {
  if (error instanceof ApiError) return { code: error.errorCode, message: error.message };
  const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
  if (mapped) return { code: mapped, message: ERRORS[mapped].message };
  if (error instanceof SyntaxError) return { code: "INVALID_JSON", message: ERRORS.INVALID_JSON.message };
  if (isRedisUnavailable(error))
    return { code: "REDIS_UNAVAILABLE", message: ERRORS.REDIS_UNAVAILABLE.message };
  return null;
}

/**
 * Every refusal leaves as `{"code":0,"description":…}` with the catalogue's status; never a bare 500.
 * A `/mj` URL the router did not place in its scope (`//mj//task/list` on an unknown method) still
 * gets the `/mj` envelope.
 */
export function installErrorEnvelope(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const mj = MJ_URL.test(request.raw.url ?? "");
    const known = refusalOf(error);
    if (known?.code === "REDIS_UNAVAILABLE") request.log.warn({ err: error.message }, "redis unavailable");
    if (known) {
      if (mj) return sendMjRefusal(reply, asMjError(new ApiError(known.code)) ?? new MjError("INVALID_BODY"));
      return reply.status(ERRORS[known.code].status).send(refusal(known.message));
    }
    if (typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500) {
      if (mj) return sendMjRefusal(reply, new MjError("INVALID_BODY"));
      return reply.status(error.statusCode).send(refusal(error.message));
    }
    request.log.error({ err: error }, "unhandled error");
    if (mj) return sendMjRefusal(reply, new MjError("INTERNAL"));
    return reply.status(500).send(refusal(ERRORS.INTERNAL.message));
  });
  app.setNotFoundHandler((request, reply) => {
    if (MJ_URL.test(request.raw.url ?? "")) return sendMjRefusal(reply, new MjError("ROUTE_NOT_FOUND"));
    return reply.status(404).send(refusal(ERRORS.ROUTE_NOT_FOUND.message));
  });
}

const MJ_URL = new RegExp(
  `^/+(?:${MJ_PREFIXES.map(([prefix]) => prefix.slice(1).replaceAll("/", "/+")).join("|")})(?:[/?]|$)`,
);

/** 503 while the event loop lags (under-pressure), in the envelope of the API the URL belongs to. */
export function sendOverloaded(request: FastifyRequest, reply: FastifyReply): void {
  if (MJ_URL.test(request.raw.url ?? "")) {
    sendMjRefusal(reply, new MjError("OVERLOADED"));
    return;
  }
  reply.status(ERRORS.OVERLOADED.status).header("retry-after", "5").send(refusal(ERRORS.OVERLOADED.message));
}

/**
 * The router's own refusals (a URL that does not decode, a path parameter past its length limit)
 * happen before any scope's error handler: answered here as a 400 in the envelope of the API the
 * URL belongs to. Pass as Fastify's `frameworkErrors` option.
 */
export function frameworkErrorHandler(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  request.log.info({ code: error.code }, "unreadable request URL");
  if (MJ_URL.test(request.raw.url ?? "")) {
    sendMjRefusal(reply, new MjError("INVALID_FIELD"));
    return;
  }
  reply.status(400).send(refusal(`${ERRORS.INVALID_FIELD.message}: the URL could not be read`));
}

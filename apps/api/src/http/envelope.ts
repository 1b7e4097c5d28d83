import { ApiError, ERRORS, isRedisUnavailable, refusal } from "@mjg/shared";
import type { FastifyError, FastifyInstance } from "fastify";

export const SUCCESS_DESCRIPTION = "成功";

export function success(result: string) {
  return { code: 1 as const, description: SUCCESS_DESCRIPTION, result };
}

// Fastify's own refusals (body parsing, limits) mapped onto the catalogue.
const FASTIFY_CODES: Record<string, keyof typeof ERRORS> = {
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

/** Every refusal leaves as `{"code":0,"description":…}` with the catalogue's status; never a bare 500. */
export function installErrorEnvelope(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ApiError) {
      return reply.status(error.status).send(refusal(error.message));
    }
    const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (mapped) {
      return reply.status(ERRORS[mapped].status).send(refusal(ERRORS[mapped].message));
    }
    if (error instanceof SyntaxError) {
      return reply.status(400).send(refusal(ERRORS.INVALID_JSON.message));
    }
    if (isRedisUnavailable(error)) {
      request.log.warn({ err: error.message }, "redis unavailable");
      return reply.status(503).send(refusal(ERRORS.REDIS_UNAVAILABLE.message));
    }
    if (typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.status(error.statusCode).send(refusal(error.message));
    }
    request.log.error({ err: error }, "unhandled error");
    return reply.status(500).send(refusal(ERRORS.INTERNAL.message));
  });
  app.setNotFoundHandler((_request, reply) => {
    reply.status(404).send(refusal(ERRORS.ROUTE_NOT_FOUND.message));
  });
}

import type { FastifyRequest } from "fastify";

/**
 * The seed accepts fields from the query string, a JSON body, an urlencoded body or a multipart
 * form; when a field is in both, the body wins.
 */
export function requestFields(request: FastifyRequest): Record<string, unknown> {
  const query = isRecord(request.query) ? request.query : {};
  const body = isRecord(request.body) ? request.body : {};
  return { ...query, ...body };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

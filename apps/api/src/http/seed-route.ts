import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from "fastify";
import type { z } from "zod";
import { openApiSchema } from "./openapi.js";

export interface SeedRoute {
  url: string;
  summary: string;
  description?: string;
  /** The zod shape of the fields, documented for both the query string and the body. */
  fields: z.ZodType;
  response: Record<string, unknown>;
  handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  /** Route-level hooks (the idempotency of submit routes). */
  hooks?: Pick<RouteShorthandOptions, "preHandler" | "onSend">;
}

/** The seed serves each route on GET (query string) and POST (query string and body alike). */
export function seedRoute(app: FastifyInstance, route: SeedRoute): void {
  const fields = openApiSchema(route.fields);
  const common = {
    summary: route.summary,
    description: route.description,
    tags: ["seed"],
    response: route.response,
  };
  app.get(route.url, { ...route.hooks, schema: { ...common, querystring: fields } }, route.handler);
  app.post(route.url, { ...route.hooks, schema: { ...common, body: fields } }, route.handler);
}

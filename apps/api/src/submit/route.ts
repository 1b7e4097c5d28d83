import { parseSubmitInput, submitInputSchema } from "@mjg/shared/seed-requests";
import type { FastifyInstance } from "fastify";
import { success } from "../http/envelope.js";
import { requestFields } from "../http/fields.js";
import { submitResponses } from "../http/openapi.js";
import { seedRoute } from "../http/seed-route.js";
import type { IdempotencyHooks } from "../idempotency/index.js";
import type { TaskSubmitter } from "./service.js";

export function submitRoutes(
  app: FastifyInstance,
  submitter: TaskSubmitter,
  promptMaxLength: number,
  idempotency: IdempotencyHooks,
): void {
  const schema = submitInputSchema(promptMaxLength);
  seedRoute(app, {
    url: "/api/v1/trigger/submit",
    summary: "Submit an IMAGINE, UPSCALE or VARIATION task",
    description:
      "Fields may come from the query string, a JSON body, an urlencoded body or a multipart form. An `Idempotency-Key` header (or `idempotencyKey` field) makes a retry safe: the same key and fields within 24 h answer the first answer again and create nothing; the same key with other fields answers 409.",
    fields: schema,
    response: submitResponses,
    hooks: idempotency,
    handler: async (request) => {
      const input = parseSubmitInput(requestFields(request), schema, promptMaxLength);
      return success(await submitter.submit(input));
    },
  });
}

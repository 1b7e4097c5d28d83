import type { FastifyInstance } from "fastify";
import { success } from "../http/envelope.js";
import { requestFields } from "../http/fields.js";
import { submitResponses } from "../http/openapi.js";
import { seedRoute } from "../http/seed-route.js";
import { parseSubmitInput, submitInputSchema } from "./schema.js";
import type { TaskSubmitter } from "./service.js";

export function submitRoutes(app: FastifyInstance, submitter: TaskSubmitter, promptMaxLength: number): void {
  const schema = submitInputSchema(promptMaxLength);
  seedRoute(app, {
    url: "/api/v1/trigger/submit",
    summary: "Submit an IMAGINE, UPSCALE or VARIATION task",
    description:
      "Fields may come from the query string, a JSON body, an urlencoded body or a multipart form.",
    fields: schema,
    response: submitResponses,
    handler: async (request) => {
      const input = parseSubmitInput(requestFields(request), schema, promptMaxLength);
      return success(await submitter.submit(input));
    },
  });
}

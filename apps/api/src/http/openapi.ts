import { PublicTaskSchema } from "@mjg/shared";
import { z } from "zod";

// OpenAPI documents come from the same zod schemas that validate requests (zod's JSON Schema output).
function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io: "input",
    unrepresentable: "any",
  }) as Record<string, unknown>;
  return rest;
}

export function openApiSchema(schema: z.ZodType) {
  return jsonSchema(schema);
}

const refusalSchema = {
  description: "Refusal",
  type: "object",
  properties: { code: { type: "integer", enum: [0] }, description: { type: "string" } },
  required: ["code", "description"],
};

export const submitResponses = {
  200: {
    description: "Accepted; result is the new task's _id",
    type: "object",
    properties: {
      code: { type: "integer", enum: [1] },
      description: { type: "string", enum: ["成功"] },
      result: { type: "string" },
    },
  },
  "4xx": refusalSchema,
  "5xx": refusalSchema,
};

const task = jsonSchema(PublicTaskSchema);

export const taskResponse = { 200: { description: "The task record", ...task }, "4xx": refusalSchema };
export const taskListResponse = {
  200: { description: "Task records, newest first", type: "array", items: task },
  "4xx": refusalSchema,
};

import { MjTaskSchema } from "@mjg/shared";
import { openApiSchema } from "../../http/openapi.js";

// Documentation only: the handlers validate with zod, and the OpenAPI document reuses those schemas.
export const mjRefusalSchema = {
  description: "Refusal in the /mj envelope",
  type: "object",
  properties: {
    code: { type: "integer", enum: [3, 4, 9, 23, 24] },
    description: { type: "string" },
    result: { type: "null" },
    properties: { type: "object" },
  },
  required: ["code", "description", "result", "properties"],
};

export const refusals = { "4xx": mjRefusalSchema, "5xx": mjRefusalSchema };
const task = openApiSchema(MjTaskSchema);

export const mjTaskResponse = { 200: { description: "The /mj Task JSON", ...task }, ...refusals };
export const mjTaskListResponse = {
  200: { description: "/mj Task JSON array", type: "array", items: task },
  ...refusals,
};
export const mjResultResponse = {
  200: {
    description: "Success envelope",
    type: "object",
    properties: {
      code: { type: "integer", enum: [1] },
      description: { type: "string" },
      result: { type: "string" },
      properties: { type: "object" },
    },
  },
  ...refusals,
};

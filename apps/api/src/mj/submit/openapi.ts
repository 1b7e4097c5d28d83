// Documentation only: the handlers validate with the same zod schemas the document is built from.

const envelope = (description: string, result: Record<string, unknown>, codes: number[]) => ({
  description,
  type: "object",
  properties: {
    code: { type: "integer", enum: codes },
    description: { type: "string" },
    result,
    properties: { type: "object", additionalProperties: true },
  },
  required: ["code", "description", "result", "properties"],
});

const refusal = envelope(
  "Refusal: 3 parent task or account not found, 4 validation, 9 failure, 23 queues full, 24 banned prompt",
  { type: "null" },
  [3, 4, 9, 23, 24],
);

const refusals = { "4xx": refusal, "5xx": refusal };

/** A task was created: code 1, 22 (queued behind others, `properties.numberOfQueues`) or 21 (MODAL). */
export const mjSubmitResponses = {
  200: envelope(
    "Submitted: result is the task id (a numeric string); properties.discordInstanceId names the account",
    { type: "string" },
    [1, 21, 22],
  ),
  ...refusals,
};

export const mjUploadResponses = {
  200: envelope("The uploaded images' CDN URLs, in order", { type: "array", items: { type: "string" } }, [1]),
  ...refusals,
};

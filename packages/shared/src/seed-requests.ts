import { z } from "zod";
import { ApiError, type ErrorCode } from "./errors.js";
import { SEED_ACTIONS } from "./task.js";

// Query strings and forms deliver text; JSON may deliver numbers. Anything else is a wrong type.
const scalar = z.union([z.string(), z.number().finite()]).transform(String);

const blankToUndefined = (value: unknown) => (value === "" || value === null ? undefined : value);

/** One shape for `/api/v1/trigger/submit`, whatever form the fields arrived in. */
export function submitInputSchema(promptMaxLength: number) {
  return z.object({
    action: z.preprocess(
      (value) => (typeof value === "string" ? value.trim().toUpperCase() : value),
      z.enum(SEED_ACTIONS, { error: "action must be one of IMAGINE, UPSCALE, VARIATION" }),
    ),
    prompt: z.preprocess(blankToUndefined, scalar.pipe(z.string().max(promptMaxLength)).optional()),
    taskId: z.preprocess(
      blankToUndefined,
      scalar.pipe(z.string().max(64, "taskId is not a task _id")).optional(),
    ),
    index: z.preprocess(
      blankToUndefined,
      scalar
        .pipe(z.string().regex(/^\s*[1-4]\s*$/))
        .transform(Number)
        .optional(),
    ),
    state: z.preprocess(blankToUndefined, scalar.pipe(z.string().max(4096)).optional()),
    notifyHook: z.preprocess(
      blankToUndefined,
      z
        .string()
        .max(2048)
        .url()
        .refine((url) => /^https?:\/\//i.test(url), "not http(s)")
        .optional(),
    ),
  });
}

export type SubmitInput = z.infer<ReturnType<typeof submitInputSchema>>;

const FIELD_ERRORS: Record<string, ErrorCode> = {
  action: "UNKNOWN_ACTION",
  index: "INDEX_INVALID",
  notifyHook: "NOTIFY_HOOK_INVALID",
};

/** Validates the merged fields and turns the first problem into a catalogue refusal. */
export function parseSubmitInput(
  fields: Record<string, unknown>,
  schema: ReturnType<typeof submitInputSchema>,
  promptMaxLength: number,
): SubmitInput {
  const parsed = schema.safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0] ?? "");
    if (field === "prompt" && issue.code === "too_big") {
      throw new ApiError("PROMPT_TOO_LONG", `at most ${promptMaxLength} characters`);
    }
    if (field === "action" && fields.action === undefined)
      throw new ApiError("UNKNOWN_ACTION", "action is missing");
    const code = FIELD_ERRORS[field];
    if (code) throw new ApiError(code);
    throw new ApiError("INVALID_FIELD", `${field || "body"}: ${issue.message}`);
  }
  const input = parsed.data;
  if (input.action === "IMAGINE") {
    if (!input.prompt?.trim()) throw new ApiError("PROMPT_REQUIRED");
  } else {
    if (!input.taskId) throw new ApiError("PARENT_REQUIRED");
    if (input.index === undefined)
      throw new ApiError("INDEX_INVALID", `index is required for ${input.action}`);
  }
  return input;
}

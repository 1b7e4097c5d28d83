import { ApiError, ERRORS, isRedisUnavailable } from "@mjg/shared";
import { parseSubmitInput, submitInputSchema } from "@mjg/shared/seed-requests";
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import { z } from "zod";
import { SUCCESS_DESCRIPTION, success } from "../http/envelope.js";
import { openApiSchema } from "../http/openapi.js";
import type { IdempotencyHooks } from "../idempotency/index.js";
import type { TaskSubmitter } from "./service.js";

export const BATCH_MAX = 100;
// A hundred tasks with long prompts do not fit the app-wide body limit.
const BATCH_BODY_LIMIT = 4 * 1024 * 1024;

/** `{tasks: [...]}`: each task has the fields of `/api/v1/trigger/submit`, checked one by one. */
export const BatchInputSchema = z.object({
  tasks: z.array(z.record(z.string(), z.unknown())).min(1).max(BATCH_MAX),
});

/** One task's answer, as `/api/v1/trigger/submit` would have answered it alone. */
export interface BatchResult {
  code: 0 | 1;
  description: string;
  result: string | null;
}

/**
 * `POST /api/v1/trigger/submit-batch`: up to 100 tasks in one request, created side by side (their
 * Redis commands share round trips); one result per task in order, a refused task refusing no other.
 */
export function submitBatchRoute(
  app: FastifyInstance,
  submitter: TaskSubmitter,
  promptMaxLength: number,
  idempotency: IdempotencyHooks,
): void {
  const schema = submitInputSchema(promptMaxLength);
  app.post(
    "/api/v1/trigger/submit-batch",
    {
      ...idempotency,
      bodyLimit: BATCH_BODY_LIMIT,
      schema: {
        summary: `Submit up to ${BATCH_MAX} tasks at once`,
        description:
          "Body `{tasks: [...]}`, each task with the fields of /api/v1/trigger/submit. Answers `{code: 1, result: [...]}` with one `{code, description, result}` per task, in order: code 1 and the new _id, or code 0 and why that task was refused (the others are still created). Idempotency-Key applies to the whole batch.",
        tags: ["seed"],
        body: openApiSchema(BatchInputSchema),
      },
    },
    async (request) => {
      const parsed = BatchInputSchema.safeParse(request.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new ApiError(
          "INVALID_FIELD",
          `tasks: ${issue.code === "too_big" ? `at most ${BATCH_MAX} tasks` : issue.message}`,
        );
      }
      const results = await Promise.all(
        parsed.data.tasks.map(async (fields): Promise<BatchResult> => {
          try {
            return success(await submitter.submit(parseSubmitInput(fields, schema, promptMaxLength)));
          } catch (error) {
            return refused(error, request.log);
          }
        }),
      );
      return { code: 1 as const, description: SUCCESS_DESCRIPTION, result: results };
    },
  );
}

function refused(error: unknown, log: FastifyBaseLogger): BatchResult {
  if (error instanceof ApiError) return { code: 0, description: error.message, result: null };
  if (isRedisUnavailable(error))
    return { code: 0, description: ERRORS.REDIS_UNAVAILABLE.message, result: null };
  log.error({ err: error }, "batch task failed");
  return { code: 0, description: ERRORS.INTERNAL.message, result: null };
}

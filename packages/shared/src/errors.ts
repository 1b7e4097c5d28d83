/**
 * The one catalogue of refusals: each code has its HTTP status and the sentence a person reads.
 * Every API answer that is not a success is `{"code":0,"description":<message>}` built from here.
 */
export const ERRORS = {
  INVALID_JSON: { status: 400, message: "the request body is not valid JSON" },
  INVALID_BODY: { status: 400, message: "the request body could not be read" },
  INVALID_FIELD: { status: 400, message: "a field has a wrong value" },
  UNKNOWN_ACTION: { status: 400, message: "action must be one of IMAGINE, UPSCALE, VARIATION" },
  PROMPT_REQUIRED: { status: 400, message: "prompt is required for IMAGINE" },
  PROMPT_TOO_LONG: { status: 400, message: "prompt is too long" },
  PARENT_REQUIRED: {
    status: 400,
    message: "taskId (the _id of a finished IMAGINE or VARIATION task) is required",
  },
  INDEX_INVALID: { status: 400, message: "index must be an integer from 1 to 4" },
  NOTIFY_HOOK_INVALID: { status: 400, message: "notifyHook must be an absolute http(s) URL" },
  NOTIFY_HOOK_PRIVATE: {
    status: 400,
    message: "notifyHook points at a private or loopback address, which this gateway does not call",
  },
  PROMPT_BANNED: { status: 400, message: "the prompt contains a banned word" },
  PARENT_NOT_ELIGIBLE: { status: 400, message: "the parent task must be an IMAGINE or VARIATION task" },
  ID_REQUIRED: { status: 400, message: "_id is required" },
  INVALID_CURSOR: { status: 400, message: "cursor is not one this API handed out" },
  UNAUTHORIZED: { status: 401, message: "missing or wrong mj-api-secret header" },
  TASK_NOT_FOUND: { status: 404, message: "no task has this _id" },
  PARENT_NOT_FOUND: { status: 404, message: "no task has the _id given as taskId" },
  ROUTE_NOT_FOUND: { status: 404, message: "no such route" },
  ACCOUNT_NOT_FOUND: { status: 404, message: "no Discord account has this id" },
  PARENT_NOT_FINISHED: { status: 409, message: "the parent task has not finished successfully yet" },
  IDEMPOTENCY_KEY_REUSED: {
    status: 409,
    message: "this Idempotency-Key was used within 24 h for a different request",
  },
  IDEMPOTENCY_KEY_IN_USE: {
    status: 409,
    message: "a request with this Idempotency-Key is still being answered; retry shortly",
  },
  BODY_TOO_LARGE: { status: 413, message: "the request body is too large" },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: "send JSON, application/x-www-form-urlencoded or multipart/form-data",
  },
  QUEUES_FULL: { status: 429, message: "every Discord account's queue is full; retry later" },
  ACCOUNT_QUEUE_FULL: {
    status: 429,
    message: "the parent task's Discord account queue is full; retry later",
  },
  NO_ACCOUNT: { status: 503, message: "no enabled Discord account is available; is a worker running?" },
  PARENT_ACCOUNT_UNAVAILABLE: {
    status: 503,
    message: "the Discord account that made the parent task is disabled or gone",
  },
  REDIS_UNAVAILABLE: { status: 503, message: "the task store (Redis) is unavailable; retry shortly" },
  TRANSLATION_FAILED: { status: 503, message: "the prompt could not be translated right now; retry shortly" },
  OVERLOADED: { status: 503, message: "the API is overloaded; retry shortly" },
  INTERNAL: { status: 500, message: "internal error" },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** A refusal that the HTTP layer turns into the seed's envelope. */
export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly errorCode: ErrorCode,
    detail?: string,
  ) {
    const entry = ERRORS[errorCode];
    super(detail ? `${entry.message}: ${detail}` : entry.message);
    this.status = entry.status;
  }
}

/** The seed's refusal envelope. */
export function refusal(message: string): { code: 0; description: string } {
  return { code: 0, description: message };
}

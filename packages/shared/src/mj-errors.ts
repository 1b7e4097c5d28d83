import { ApiError, type ErrorCode } from "./errors.js";

/**
 * The `/mj` API's return codes (midjourney-proxy `ReturnCode`): clients branch on these numbers.
 * new-api disables its channel on any code 3, so 3 means only "parent task or account not found".
 */
export const MJ_CODES = {
  SUCCESS: 1,
  NOT_FOUND: 3,
  VALIDATION_ERROR: 4,
  FAILURE: 9,
  MODAL: 21,
  IN_QUEUE: 22,
  QUEUE_REJECTED: 23,
  BANNED_PROMPT: 24,
} as const;
export type MjCode = (typeof MJ_CODES)[keyof typeof MJ_CODES];

const NOT_FOUND = MJ_CODES.NOT_FOUND;
const INVALID = MJ_CODES.VALIDATION_ERROR;
const FAILURE = MJ_CODES.FAILURE;

/** The texts of the `/mj` successes (the refusals are in MJ_ERRORS). */
export const MJ_TEXTS = {
  SUBMITTED: "提交成功",
  MODAL: "Waiting for window confirm",
  SUCCESS: "成功",
  inQueue: (ahead: number) => `排队中，前面还有${ahead}个任务`,
} as const;

/**
 * The one catalogue of `/mj` refusals: each with its `/mj` code, HTTP status and the Chinese text
 * the midjourney-proxy clients know. Every `/mj` refusal is
 * `{"code":…,"description":…,"result":null,"properties":{}}` built from here.
 */
export const MJ_ERRORS = {
  // Not found (3): only a missing parent task or no account to run on.
  PARENT_NOT_FOUND: { code: NOT_FOUND, status: 404, description: "关联任务不存在或已失效" },
  TASK_NOT_FOUND: { code: NOT_FOUND, status: 404, description: "任务不存在" },
  NO_ACCOUNT: { code: NOT_FOUND, status: 404, description: "无可用的账号实例" },
  ACCOUNT_NOT_FOUND: { code: NOT_FOUND, status: 404, description: "账号不存在" },

  // Validation (4).
  INVALID_BODY: { code: INVALID, status: 400, description: "请求体格式错误" },
  INVALID_FIELD: { code: INVALID, status: 400, description: "参数错误" },
  BODY_TOO_LARGE: { code: INVALID, status: 413, description: "请求体过大" },
  UNSUPPORTED_MEDIA_TYPE: {
    code: INVALID,
    status: 415,
    description: "请求体须为 JSON、表单或 multipart/form-data",
  },
  ROUTE_NOT_FOUND: { code: INVALID, status: 404, description: "接口不存在" },
  UNAUTHORIZED: { code: INVALID, status: 401, description: "mj-api-secret 缺失或错误" },
  PROMPT_REQUIRED: { code: INVALID, status: 400, description: "prompt不能为空" },
  PROMPT_TOO_LONG: { code: INVALID, status: 400, description: "prompt过长" },
  BASE64_REQUIRED: { code: INVALID, status: 400, description: "base64不能为空" },
  BASE64_INVALID: { code: INVALID, status: 400, description: "base64格式错误" },
  BASE64_OR_LINK_REQUIRED: { code: INVALID, status: 400, description: "base64或link不能为空" },
  LINK_INVALID: { code: INVALID, status: 400, description: "link格式错误" },
  BASE64_LIST_INVALID: { code: INVALID, status: 400, description: "base64List参数错误" },
  UPLOAD_IMAGES_INVALID: { code: INVALID, status: 400, description: "base64 参数错误" },
  TOO_MANY_IMAGES: { code: INVALID, status: 400, description: "图片数量过多，最多5张" },
  IMAGE_TOO_LARGE: { code: INVALID, status: 400, description: "图片过大，每张最大10MB" },
  DIMENSIONS_INVALID: { code: INVALID, status: 400, description: "dimensions参数错误" },
  TASK_ID_REQUIRED: { code: INVALID, status: 400, description: "taskId不能为空" },
  ACTION_INVALID: { code: INVALID, status: 400, description: "action参数错误" },
  INDEX_INVALID: { code: INVALID, status: 400, description: "index参数错误" },
  CONTENT_INVALID: { code: INVALID, status: 400, description: "content参数错误" },
  PARAMS_REQUIRED: { code: INVALID, status: 400, description: "参数错误" },
  PARENT_STATUS_INVALID: { code: INVALID, status: 400, description: "关联任务状态错误" },
  PARENT_NOT_CHANGEABLE: { code: INVALID, status: 400, description: "关联任务不允许执行变化" },
  UNKNOWN_ACTION_TYPE: { code: INVALID, status: 400, description: "未知的 Action 类型" },
  CUSTOM_ID_NOT_ON_PARENT: { code: INVALID, status: 400, description: "customId不在关联任务的按钮中" },
  ACTION_UNSUPPORTED: { code: INVALID, status: 400, description: "暂不支持该操作" },
  ZOOM_INVALID: { code: INVALID, status: 400, description: "Custom Zoom 的 prompt 须含 --zoom 1 到 2" },
  MASK_REQUIRED: { code: INVALID, status: 400, description: "maskBase64不能为空" },
  NOT_MODAL: { code: INVALID, status: 400, description: "任务不在等待弹窗确认的状态" },
  STATE_TOO_LONG: { code: INVALID, status: 400, description: "State参数过长，最大255字符" },
  NOTIFY_HOOK_TOO_LONG: { code: INVALID, status: 400, description: "NotifyHook参数过长，最大2000字符" },
  NOTIFY_HOOK_INVALID: { code: INVALID, status: 400, description: "notifyHook须为 http(s) 地址" },
  NOTIFY_HOOK_PRIVATE: { code: INVALID, status: 400, description: "notifyHook不能指向内网或本机地址" },
  ACCOUNT_FILTER_INVALID: { code: INVALID, status: 400, description: "accountFilter参数错误" },
  SEED_TASK_STATUS: { code: INVALID, status: 400, description: "关联任务状态错误" },
  IDEMPOTENCY_KEY_REUSED: { code: INVALID, status: 409, description: "Idempotency-Key已用于不同的请求" },
  IDEMPOTENCY_KEY_IN_USE: {
    code: INVALID,
    status: 409,
    description: "相同Idempotency-Key的请求正在处理中，请稍后重试",
  },

  // Capacity (23) and banned words (24).
  QUEUES_FULL: { code: MJ_CODES.QUEUE_REJECTED, status: 429, description: "队列已满，请稍后尝试" },
  PROMPT_BANNED: { code: MJ_CODES.BANNED_PROMPT, status: 400, description: "可能包含敏感词" },

  // Failure (9).
  REDIS_UNAVAILABLE: { code: FAILURE, status: 503, description: "提交失败，系统异常" },
  OVERLOADED: { code: FAILURE, status: 503, description: "系统繁忙，请稍后重试" },
  TRANSLATION_FAILED: { code: FAILURE, status: 503, description: "prompt翻译失败，请稍后重试" },
  UPLOAD_FAILED: { code: FAILURE, status: 502, description: "上传失败" },
  UPLOAD_TIMEOUT: { code: FAILURE, status: 503, description: "上传超时，请稍后重试" },
  SEED_UNAVAILABLE: { code: FAILURE, status: 503, description: "获取seed失败，请稍后重试" },
  INTERNAL: { code: FAILURE, status: 500, description: "提交失败，系统异常" },
} as const satisfies Record<string, { code: MjCode; status: number; description: string }>;

export type MjErrorCode = keyof typeof MJ_ERRORS;

/** Seconds a client should wait before retrying a 429 / 503. */
export const MJ_RETRY_AFTER_SECONDS = 5;

/** The same cause as a seed refusal, in the `/mj` dialect: every seed code has one. */
export const MJ_FROM_SEED: Record<ErrorCode, MjErrorCode> = {
  INVALID_JSON: "INVALID_BODY",
  INVALID_BODY: "INVALID_BODY",
  INVALID_FIELD: "INVALID_FIELD",
  UNKNOWN_ACTION: "ACTION_INVALID",
  PROMPT_REQUIRED: "PROMPT_REQUIRED",
  PROMPT_TOO_LONG: "PROMPT_TOO_LONG",
  PARENT_REQUIRED: "TASK_ID_REQUIRED",
  INDEX_INVALID: "INDEX_INVALID",
  NOTIFY_HOOK_INVALID: "NOTIFY_HOOK_INVALID",
  NOTIFY_HOOK_PRIVATE: "NOTIFY_HOOK_PRIVATE",
  PROMPT_BANNED: "PROMPT_BANNED",
  PARENT_NOT_ELIGIBLE: "PARENT_NOT_CHANGEABLE",
  ID_REQUIRED: "TASK_ID_REQUIRED",
  INVALID_CURSOR: "INVALID_FIELD",
  UNAUTHORIZED: "UNAUTHORIZED",
  TASK_NOT_FOUND: "TASK_NOT_FOUND",
  PARENT_NOT_FOUND: "PARENT_NOT_FOUND",
  ROUTE_NOT_FOUND: "ROUTE_NOT_FOUND",
  ACCOUNT_NOT_FOUND: "ACCOUNT_NOT_FOUND",
  PARENT_NOT_FINISHED: "PARENT_STATUS_INVALID",
  IDEMPOTENCY_KEY_REUSED: "IDEMPOTENCY_KEY_REUSED",
  IDEMPOTENCY_KEY_IN_USE: "IDEMPOTENCY_KEY_IN_USE",
  BODY_TOO_LARGE: "BODY_TOO_LARGE",
  UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  QUEUES_FULL: "QUEUES_FULL",
  ACCOUNT_QUEUE_FULL: "QUEUES_FULL",
  NO_ACCOUNT: "NO_ACCOUNT",
  PARENT_ACCOUNT_UNAVAILABLE: "NO_ACCOUNT",
  REDIS_UNAVAILABLE: "REDIS_UNAVAILABLE",
  TRANSLATION_FAILED: "TRANSLATION_FAILED",
  OVERLOADED: "OVERLOADED",
  INTERNAL: "INTERNAL",
};

/** A `/mj` refusal; `properties` carries what the contract adds (e.g. `bannedWord`). */
export class MjError extends Error {
  readonly code: MjCode;
  readonly status: number;
  constructor(
    readonly mjCode: MjErrorCode,
    readonly properties: Record<string, unknown> = {},
  ) {
    const entry = MJ_ERRORS[mjCode];
    super(entry.description);
    this.code = entry.code;
    this.status = entry.status;
  }
}

/** A seed refusal that knows the banned word, so the `/mj` answer can name it in `properties`. */
export class BannedPromptError extends ApiError {
  constructor(
    readonly bannedWord: string,
    readonly promptEn: string,
  ) {
    super("PROMPT_BANNED", `"${bannedWord}"`);
  }
}

/** The `/mj` refusal for an error raised anywhere (null: not a refusal, an unexpected failure). */
export function asMjError(error: unknown): MjError | null {
  if (error instanceof MjError) return error;
  if (error instanceof BannedPromptError)
    return new MjError("PROMPT_BANNED", { promptEn: error.promptEn, bannedWord: error.bannedWord });
  if (error instanceof ApiError) return new MjError(MJ_FROM_SEED[error.errorCode]);
  return null;
}

import { z } from "zod";
import { checkImage, MAX_IMAGES } from "./images.js";
import { MJ_ERRORS, MjError, type MjErrorCode } from "./mj-errors.js";
import { BLEND_DIMENSIONS, SPEED_MODES } from "./task.js";

// Each schema names its refusal in the issue message (a MJ_ERRORS key); the field table below
// covers issues zod words itself. Shapes list fields in the order the contract checks them.

type Ctx = z.core.$RefinementCtx;
const refuse = (ctx: Ctx, code: MjErrorCode, input: unknown) => {
  ctx.addIssue({ code: "custom", message: code, input });
  return z.NEVER;
};

/** A task id sent as a string or as a JSON number (DOOY, Go clients): a numeric id must be exact. */
function taskIdField(code: MjErrorCode) {
  return z.union([z.string(), z.number()], { error: code }).transform((value, ctx) => {
    if (typeof value === "number")
      return Number.isSafeInteger(value) && value >= 0 ? String(value) : refuse(ctx, code, value);
    const id = value.trim();
    return id === "" || id.length > 64 ? refuse(ctx, code, value) : id;
  });
}

function promptField(maxLength: number) {
  return z
    .string({
      error: (issue) =>
        issue.input === undefined || issue.input === null ? "PROMPT_REQUIRED" : "INVALID_FIELD",
    })
    .trim()
    .min(1, "PROMPT_REQUIRED")
    .max(maxLength, "PROMPT_TOO_LONG");
}

const image = (value: string, ctx: Ctx) => {
  const checked = checkImage(value);
  return checked.ok ? checked.dataUrl : refuse(ctx, checked.error, "…");
};

/** A list of data URLs with its own count rule; the images are checked only once the count is right. */
function imageList(min: number, countError: MjErrorCode, tooMany: MjErrorCode) {
  return z
    .array(z.string({ error: "BASE64_INVALID" }), { error: countError })
    .min(min, countError)
    .max(MAX_IMAGES, tooMany)
    .transform((values, ctx) => values.map((value) => image(value, ctx)));
}

const optionalImage = z
  .string({ error: "BASE64_INVALID" })
  .nullish()
  .transform((value, ctx) => (value ? image(value, ctx) : undefined));

const state = z
  .string({ error: "INVALID_FIELD" })
  .max(255, "STATE_TOO_LONG")
  .nullish()
  .transform((value) => value || undefined);

/** An optional http(s) URL, trimmed; blank reads as absent. */
function optionalHttpUrl(maxLength: number, invalid: MjErrorCode, tooLong: MjErrorCode) {
  return z
    .string({ error: invalid })
    .max(maxLength, tooLong)
    .nullish()
    .transform((value, ctx) => {
      const url = value?.trim();
      if (!url) return undefined;
      return URL.canParse(url) && /^https?:\/\//i.test(url) ? url : refuse(ctx, invalid, value);
    });
}

const notifyHook = optionalHttpUrl(2000, "NOTIFY_HOOK_INVALID", "NOTIFY_HOOK_TOO_LONG");

const botType = z.string({ error: "INVALID_FIELD" }).max(32, "INVALID_FIELD").nullish();

const accountFilter = z
  .object(
    {
      instanceId: z.string().max(64).nullish(),
      modes: z.array(z.enum(SPEED_MODES)).max(SPEED_MODES.length).nullish(),
      remix: z.boolean().nullish(),
      nijiRemix: z.boolean().nullish(),
      remixAutoConsidered: z.boolean().nullish(),
      remark: z.string().max(255).nullish(),
    },
    { error: "ACCOUNT_FILTER_INVALID" },
  )
  .nullish()
  .transform((filter) =>
    filter
      ? {
          instanceId: filter.instanceId?.trim() || undefined,
          modes: filter.modes ?? undefined,
          remix: filter.remix ?? undefined,
        }
      : undefined,
  );

const enableRemix = z
  .union([z.boolean(), z.enum(["true", "false"])], { error: "INVALID_FIELD" })
  .nullish()
  .transform((value) => value === true || value === "true");

const common = { botType, accountFilter, state, notifyHook };

export function imagineSchema(promptMaxLength: number) {
  return z.object({
    prompt: promptField(promptMaxLength),
    base64Array: z
      .array(z.string({ error: "BASE64_INVALID" }), { error: "BASE64_INVALID" })
      .max(MAX_IMAGES, "TOO_MANY_IMAGES")
      .nullish()
      .transform((values, ctx) => (values ?? []).map((value) => image(value, ctx))),
    base64: optionalImage,
    ...common,
  });
}

export const ChangeSchema = z.object({
  taskId: taskIdField("TASK_ID_REQUIRED"),
  action: z.enum(["UPSCALE", "VARIATION", "REROLL"], { error: "ACTION_INVALID" }),
  index: z
    .union([z.number(), z.string()], { error: "INDEX_INVALID" })
    .nullish()
    .transform((value, ctx) => {
      if (value === null || value === undefined || value === "") return undefined;
      const index = typeof value === "number" ? value : Number(value.trim());
      return Number.isInteger(index) && index >= 1 && index <= 4
        ? index
        : refuse(ctx, "INDEX_INVALID", value);
    }),
  state,
  notifyHook,
});

export const SimpleChangeSchema = z.object({
  content: z.string({ error: "CONTENT_INVALID" }).max(128, "CONTENT_INVALID"),
  state,
  notifyHook,
});

export const ActionSchema = z.object({
  taskId: taskIdField("PARAMS_REQUIRED"),
  customId: z
    .string({ error: "PARAMS_REQUIRED" })
    .trim()
    .min(1, "PARAMS_REQUIRED")
    .max(512, "PARAMS_REQUIRED"),
  enableRemix,
  accountFilter,
  state,
  notifyHook,
});

export function modalSchema(promptMaxLength: number) {
  return z.object({
    taskId: taskIdField("PARAMS_REQUIRED"),
    prompt: z
      .string({ error: "INVALID_FIELD" })
      .max(promptMaxLength, "PROMPT_TOO_LONG")
      .nullish()
      .transform((value) => value?.trim() || undefined),
    maskBase64: optionalImage,
    state,
    notifyHook,
  });
}

export const DescribeSchema = z.object({
  base64: optionalImage,
  link: optionalHttpUrl(2048, "LINK_INVALID", "LINK_INVALID"),
  ...common,
});

export const BlendSchema = z.object({
  base64Array: imageList(2, "BASE64_LIST_INVALID", "BASE64_LIST_INVALID"),
  // Absent: SQUARE (1:1); present, it must be one of the three (null included: contract §2.6).
  dimensions: z.enum(BLEND_DIMENSIONS, { error: "DIMENSIONS_INVALID" }).optional().default("SQUARE"),
  ...common,
});

export function shortenSchema(promptMaxLength: number) {
  return z.object({ prompt: promptField(promptMaxLength), ...common });
}

export const UploadSchema = z.object({
  base64Array: imageList(1, "UPLOAD_IMAGES_INVALID", "TOO_MANY_IMAGES"),
  accountFilter,
});

// Issues zod words itself (a nested field of accountFilter, say) still get their field's refusal.
const FIELD_ERRORS: Record<string, MjErrorCode> = {
  accountFilter: "ACCOUNT_FILTER_INVALID",
  base64Array: "BASE64_INVALID",
  notifyHook: "NOTIFY_HOOK_INVALID",
};

function isCatalogued(message: string): message is MjErrorCode {
  return Object.hasOwn(MJ_ERRORS, message);
}

/** The body as an object: absent is `{}`, anything else that is not an object is unreadable. */
export function bodyFields(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null || body === "") return {};
  if (typeof body !== "object" || Array.isArray(body) || Buffer.isBuffer(body))
    throw new MjError("INVALID_BODY");
  return body as Record<string, unknown>;
}

/** Validates a body against a route's schema; the first problem becomes its catalogued refusal. */
export function parseMj<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(bodyFields(body));
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  if (isCatalogued(issue.message)) throw new MjError(issue.message);
  throw new MjError(FIELD_ERRORS[String(issue.path[0] ?? "")] ?? "INVALID_FIELD");
}

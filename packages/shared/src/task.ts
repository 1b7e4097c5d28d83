import { z } from "zod";

export const TASK_STATUSES = [
  "NOT_START",
  "SUBMITTED",
  "IN_PROGRESS",
  "SUCCESS",
  "FAILURE",
  /** Waits for `/mj/submit/modal`: the button it clicks opens a Discord pop-up that needs a prompt. */
  "MODAL",
  /** Cancelled through the API before it ended. */
  "CANCEL",
] as const;
export const TaskStatusSchema = z.enum(TASK_STATUSES);
export type TaskStatus = z.infer<typeof TaskStatusSchema>;

/** The seed API's three actions; the `/mj` API adds the rest. */
export const SEED_ACTIONS = ["IMAGINE", "UPSCALE", "VARIATION"] as const;

export const TASK_ACTIONS = [
  ...SEED_ACTIONS,
  "REROLL",
  "DESCRIBE",
  "BLEND",
  "SHORTEN",
  "ZOOM",
  "PAN",
  "UPSCALE_HD",
  "VIDEO",
  /** A button Midjourney added that this gateway has no name for: clicked as is. */
  "ACTION",
  /** `/mj/submit/upload-discord-images`: images posted to the channel for their CDN URLs. */
  "UPLOAD",
] as const;
export const TaskActionSchema = z.enum(TASK_ACTIONS);
export type TaskAction = z.infer<typeof TaskActionSchema>;

export const SPEED_MODES = ["FAST", "RELAX", "TURBO"] as const;
export const SpeedModeSchema = z.enum(SPEED_MODES);
export type SpeedMode = z.infer<typeof SpeedModeSchema>;

export const BOT_TYPES = ["MID_JOURNEY", "NIJI_JOURNEY"] as const;
export const BotTypeSchema = z.enum(BOT_TYPES);
export type BotType = z.infer<typeof BotTypeSchema>;

export const BLEND_DIMENSIONS = ["PORTRAIT", "SQUARE", "LANDSCAPE"] as const;
export const BlendDimensionsSchema = z.enum(BLEND_DIMENSIONS);
export type BlendDimensions = z.infer<typeof BlendDimensionsSchema>;

/** A button of a Midjourney result message, as the `/mj` API shows it (link buttons are left out). */
export const TaskButtonSchema = z.object({
  customId: z.string(),
  emoji: z.string(),
  label: z.string(),
  type: z.number().int(),
  style: z.number().int(),
});
export type TaskButton = z.infer<typeof TaskButtonSchema>;

/** What the worker keeps about the Discord side of a task; never shown by the API. */
export const DiscordStateSchema = z.object({
  /** Snowflake sent with the interaction; saved before sending so a rerun never sends twice. */
  nonce: z.string().nullable(),
  sentAt: z.number().nullable(),
  interactionId: z.string().nullable(),
  progressMessageId: z.string().nullable(),
  /** The result message and its flags: what U/V buttons of a child task click on. */
  messageId: z.string().nullable(),
  messageFlags: z.number().nullable(),
  /** Interactions sent for this task (Queue full makes Midjourney ask for a resend). */
  sends: z.number(),
  /** The pop-up the click opened (INTERACTION_MODAL_CREATE / IFRAME_MODAL_CREATE `d.id`, `d.custom_id`). */
  modalInteractionId: z.string().nullable(),
  modalCustomId: z.string().nullable(),
  /** Nonce of the modal submit (type 5) or Vary Region job, saved before sending it. */
  modalNonce: z.string().nullable(),
  modalSentAt: z.number().nullable(),
});
export type DiscordState = z.infer<typeof DiscordStateSchema>;

/** What a task asks beyond its prompt: the button it clicks and the command's own options. */
export const TaskParamsSchema = z.object({
  /** The parent button's raw custom id (button tasks). */
  customId: z.string().nullable(),
  /** Input images (describe, blend, imagine reference images) kept under `taskImages` until sent. */
  imageCount: z.number().int(),
  /** `/describe` of an image given by URL. */
  link: z.string().nullable(),
  dimensions: BlendDimensionsSchema.nullable(),
  /** Vary (Region): the mask is kept with the images; true once the modal asked for one. */
  hasMask: z.boolean(),
  /** The modal's prompt (the `/mj/submit/modal` prompt), sent in the pop-up's text field. */
  modalPrompt: z.string().nullable(),
  /** The task clicks a button that opens a Remix pop-up. */
  remix: z.boolean(),
});
export type TaskParams = z.infer<typeof TaskParamsSchema>;

/** The task record, with the seed's field names and the `/mj` API's additions. */
export const TaskRecordSchema = z.object({
  _id: z.string(),
  action: TaskActionSchema,
  status: TaskStatusSchema,
  prompt: z.string().nullable(),
  promptEn: z.string().nullable(),
  description: z.string(),
  state: z.string().nullable(),
  notifyHook: z.string().nullable(),
  index: z.number().int().nullable(),
  /** Seed semantics: the Discord message id of the result once SUCCESS. */
  taskId: z.string().nullable(),
  /** The parent task's `_id` for button tasks. */
  parentId: z.string().nullable(),
  uri: z.string().nullable(),
  imageUrl: z.string().nullable(),
  hash: z.string().nullable(),
  content: z.string().nullable(),
  progress: z.string(),
  failReason: z.string().nullable(),
  submitTime: z.number(),
  startTime: z.number().nullable(),
  finishTime: z.number().nullable(),
  accountId: z.string().nullable(),
  /** Which API created the task: it decides the shape of the callback body. */
  api: z.enum(["seed", "mj"]),
  mode: SpeedModeSchema.nullable(),
  botType: BotTypeSchema,
  /** The prompt as Midjourney echoed it; `/describe` and `/shorten` put their text answer here. */
  finalPrompt: z.string().nullable(),
  buttons: z.array(TaskButtonSchema),
  /** Image URLs a task produced besides `imageUrl` (UPLOAD: every uploaded image). */
  imageUrls: z.array(z.string()),
  /** The latest progress preview while the task runs (the `/mj` view shows it as `imageUrl`). */
  previewUrl: z.string().nullable(),
  /** The job's seed once `/mj/task/{id}/image-seed` has read it. */
  seed: z.string().nullable(),
  params: TaskParamsSchema,
  /** Optimistic-concurrency revision, bumped on every write. */
  rev: z.number().int(),
  discord: DiscordStateSchema,
});
export type TaskRecord = z.infer<typeof TaskRecordSchema>;

/** The seed API's view and callback body: bookkeeping and the `/mj` additions left out. */
export const PublicTaskSchema = TaskRecordSchema.omit({
  rev: true,
  discord: true,
  params: true,
  api: true,
  buttons: true,
  finalPrompt: true,
  seed: true,
  botType: true,
  previewUrl: true,
  imageUrls: true,
});
export type PublicTask = z.infer<typeof PublicTaskSchema>;

export function publicTask(record: TaskRecord): PublicTask {
  // Field by field, not an object rest: every fetch and seed callback builds this view.
  return {
    _id: record._id,
    action: record.action,
    status: record.status,
    prompt: record.prompt,
    promptEn: record.promptEn,
    description: record.description,
    state: record.state,
    notifyHook: record.notifyHook,
    index: record.index,
    taskId: record.taskId,
    parentId: record.parentId,
    uri: record.uri,
    imageUrl: record.imageUrl,
    hash: record.hash,
    content: record.content,
    progress: record.progress,
    failReason: record.failReason,
    submitTime: record.submitTime,
    startTime: record.startTime,
    finishTime: record.finishTime,
    accountId: record.accountId,
    mode: record.mode,
  };
}

export function isTerminal(status: TaskStatus): boolean {
  return status === "SUCCESS" || status === "FAILURE" || status === "CANCEL";
}

/** The seed's `description`: what was asked of Midjourney, as a person would type it. */
export function describeTask(
  action: TaskAction,
  promptEn: string | null,
  parentId: string | null,
  index: number | null,
  taskId = "",
  params: Pick<TaskParams, "imageCount" | "customId"> = { imageCount: 0, customId: null },
): string {
  switch (action) {
    case "IMAGINE":
      return `/imagine ${promptEn ?? ""}`;
    case "UPSCALE":
      return `/up ${parentId} U${index}`;
    case "VARIATION":
      return index ? `/up ${parentId} V${index}` : `/up ${parentId} ${params.customId ?? "V"}`;
    case "REROLL":
      return `/up ${parentId} R`;
    case "DESCRIBE":
      return `/describe ${taskId}.png`;
    case "BLEND":
      return `/blend ${taskId} ${params.imageCount}`;
    case "SHORTEN":
      return `/shorten ${promptEn ?? ""}`;
    case "UPLOAD":
      return `/upload ${params.imageCount}`;
    default:
      return `/up ${parentId} ${params.customId ?? action}`;
  }
}

export interface NewTask {
  _id: string;
  action: TaskAction;
  prompt: string | null;
  promptEn: string | null;
  state: string | null;
  notifyHook: string | null;
  index: number | null;
  parentId: string | null;
  accountId: string;
  submitTime: number;
  api?: TaskRecord["api"];
  mode?: SpeedMode | null;
  botType?: BotType;
  status?: Extract<TaskStatus, "NOT_START" | "MODAL">;
  finalPrompt?: string | null;
  params?: Partial<TaskParams>;
}

export const DEFAULT_PARAMS: TaskParams = {
  customId: null,
  imageCount: 0,
  link: null,
  dimensions: null,
  hasMask: false,
  modalPrompt: null,
  remix: false,
};

export const DEFAULT_DISCORD: DiscordState = {
  nonce: null,
  sentAt: null,
  interactionId: null,
  progressMessageId: null,
  messageId: null,
  messageFlags: null,
  sends: 0,
  modalInteractionId: null,
  modalCustomId: null,
  modalNonce: null,
  modalSentAt: null,
};

export function newTaskRecord(input: NewTask): TaskRecord {
  const params = { ...DEFAULT_PARAMS, ...input.params };
  return {
    _id: input._id,
    action: input.action,
    status: input.status ?? "NOT_START",
    prompt: input.prompt,
    promptEn: input.promptEn,
    description: describeTask(input.action, input.promptEn, input.parentId, input.index, input._id, params),
    state: input.state,
    notifyHook: input.notifyHook,
    index: input.index,
    taskId: null,
    parentId: input.parentId,
    uri: null,
    imageUrl: null,
    hash: null,
    content: null,
    progress: "0%",
    failReason: null,
    submitTime: input.submitTime,
    startTime: null,
    finishTime: null,
    accountId: input.accountId,
    api: input.api ?? "seed",
    mode: input.mode ?? null,
    botType: input.botType ?? "MID_JOURNEY",
    finalPrompt: input.finalPrompt ?? null,
    buttons: [],
    imageUrls: [],
    previewUrl: null,
    seed: null,
    params,
    rev: 0,
    discord: { ...DEFAULT_DISCORD },
  };
}

// Buttons are most of a finished record: Redis keeps each as [customId, emoji, label, type, style], with
// the result's job hash in the custom id written as HASH_MARK (a result's buttons all repeat it).
const HASH_MARK = "{h}";
type StoredButton = [string, string, string, number, number];

function storedButton(button: TaskButton, hash: string | null): StoredButton | TaskButton {
  // A custom id that already holds the mark stays whole, so reading it back is exact.
  if (button.customId.includes(HASH_MARK)) return button;
  const customId = hash ? button.customId.split(hash).join(HASH_MARK) : button.customId;
  return [customId, button.emoji, button.label, button.type, button.style];
}

function readButton(stored: StoredButton | TaskButton, hash: string | null): TaskButton {
  if (!Array.isArray(stored)) return stored;
  const [customId, emoji, label, type, style] = stored;
  return { customId: hash ? customId.split(HASH_MARK).join(hash) : customId, emoji, label, type, style };
}

/**
 * The record as Redis keeps it: JSON, buttons compact, and the nested objects and lists left out while
 * they hold only their defaults (`decodeRecord` puts them back): a new record is 40 % shorter.
 */
export function encodeRecord(record: TaskRecord): string {
  // Fields of the spread are overwritten, none added (V8 keeps it a fast object); undefined is not written.
  return JSON.stringify({
    ...record,
    params: isDefault(record.params, DEFAULT_PARAMS) ? undefined : record.params,
    discord: isDefault(record.discord, DEFAULT_DISCORD) ? undefined : record.discord,
    buttons:
      record.buttons.length === 0
        ? undefined
        : record.buttons.map((button) => storedButton(button, record.hash)),
    imageUrls: record.imageUrls.length === 0 ? undefined : record.imageUrls,
  });
}

function isDefault<T extends object>(value: T, defaults: T): boolean {
  for (const key in defaults) if (value[key] !== defaults[key]) return false;
  return true;
}

/** Reads what `encodeRecord` wrote (and records written before a field existed). */
export function decodeRecord(raw: string): TaskRecord {
  const record = fillDefaults(JSON.parse(raw) as TaskRecord);
  const stored = record.buttons as (StoredButton | TaskButton)[];
  if (stored.length > 0) record.buttons = stored.map((button) => readButton(button, record.hash));
  return record;
}

/**
 * Gives a freshly parsed record, in place, the defaults of the fields its JSON lacks: left out by
 * `encodeRecord`, or added to the record after it was written. Every read goes through here.
 */
function fillDefaults(record: TaskRecord): TaskRecord {
  record.api ??= "seed";
  record.mode ??= null;
  record.botType ??= "MID_JOURNEY";
  record.finalPrompt ??= null;
  record.buttons ??= [];
  record.seed ??= null;
  record.previewUrl ??= null;
  record.imageUrls ??= [];
  record.params = withKeys(record.params, DEFAULT_PARAMS, PARAM_KEYS);
  record.discord = withKeys(record.discord, DEFAULT_DISCORD, DISCORD_KEYS);
  return record;
}

const PARAM_KEYS = Object.keys(DEFAULT_PARAMS);
const DISCORD_KEYS = Object.keys(DEFAULT_DISCORD);

/** `value` when it has every key of `defaults`, else the defaults overlaid with it. */
function withKeys<T extends object>(value: T | undefined, defaults: T, keys: string[]): T {
  if (value !== undefined && keys.every((key) => key in value)) return value;
  return { ...defaults, ...value };
}

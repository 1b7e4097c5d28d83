import { z } from "zod";

export const TASK_STATUSES = ["NOT_START", "SUBMITTED", "IN_PROGRESS", "SUCCESS", "FAILURE"] as const;
export const TaskStatusSchema = z.enum(TASK_STATUSES);
export type TaskStatus = z.infer<typeof TaskStatusSchema>;

export const TASK_ACTIONS = ["IMAGINE", "UPSCALE", "VARIATION"] as const;
export const TaskActionSchema = z.enum(TASK_ACTIONS);
export type TaskAction = z.infer<typeof TaskActionSchema>;

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
});
export type DiscordState = z.infer<typeof DiscordStateSchema>;

/** The task record, with the seed's field names (DESIGN.md §2) and a few additions. */
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
  /** The parent task's `_id` for UPSCALE / VARIATION. */
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
  /** Optimistic-concurrency revision, bumped on every write. */
  rev: z.number().int(),
  discord: DiscordStateSchema,
});
export type TaskRecord = z.infer<typeof TaskRecordSchema>;

/** The record as the API and callbacks show it: internal bookkeeping left out. */
export const PublicTaskSchema = TaskRecordSchema.omit({ rev: true, discord: true });
export type PublicTask = z.infer<typeof PublicTaskSchema>;

export function publicTask(record: TaskRecord): PublicTask {
  const { rev: _rev, discord: _discord, ...visible } = record;
  return visible;
}

export function isTerminal(status: TaskStatus): boolean {
  return status === "SUCCESS" || status === "FAILURE";
}

/** The seed's `description`: what was asked of Midjourney, as a person would type it. */
export function describeTask(
  action: TaskAction,
  promptEn: string | null,
  parentId: string | null,
  index: number | null,
) {
  if (action === "IMAGINE") return `/imagine ${promptEn ?? ""}`;
  return `/up ${parentId} ${action === "UPSCALE" ? "U" : "V"}${index}`;
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
}

export function newTaskRecord(input: NewTask): TaskRecord {
  return {
    _id: input._id,
    action: input.action,
    status: "NOT_START",
    prompt: input.prompt,
    promptEn: input.promptEn,
    description: describeTask(input.action, input.promptEn, input.parentId, input.index),
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
    rev: 0,
    discord: {
      nonce: null,
      sentAt: null,
      interactionId: null,
      progressMessageId: null,
      messageId: null,
      messageFlags: null,
      sends: 0,
    },
  };
}

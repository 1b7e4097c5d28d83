import { z } from "zod";
import {
  BotTypeSchema,
  SpeedModeSchema,
  TaskActionSchema,
  TaskButtonSchema,
  type TaskRecord,
  TaskStatusSchema,
} from "./task.js";

/**
 * The Task JSON of the midjourney-proxy `/mj` API: camelCase, upper-case enums, epoch-ms times,
 * `progress` a string ("0%" … "100%", "" on failure), and `properties` with what clients read.
 * Go clients (new-api) unmarshal times as int64 and `finalPrompt` as a string: never other types.
 */
export const MjTaskSchema = z.object({
  id: z.string(),
  action: TaskActionSchema,
  status: TaskStatusSchema,
  prompt: z.string().nullable(),
  promptEn: z.string().nullable(),
  description: z.string(),
  state: z.string().nullable(),
  submitTime: z.number().nullable(),
  startTime: z.number().nullable(),
  finishTime: z.number().nullable(),
  imageUrl: z.string().nullable(),
  imageUrls: z.array(z.object({ url: z.string() })),
  progress: z.string(),
  failReason: z.string().nullable(),
  buttons: z.array(TaskButtonSchema),
  customId: z.string().nullable(),
  parentId: z.string().nullable(),
  botType: BotTypeSchema,
  mode: SpeedModeSchema.nullable(),
  seed: z.string().nullable(),
  properties: z.object({
    finalPrompt: z.string().nullable(),
    finalZhPrompt: z.string().nullable(),
    notifyHook: z.string().nullable(),
    messageId: z.string().nullable(),
    messageHash: z.string().nullable(),
    progressMessageId: z.string().nullable(),
    flags: z.number().nullable(),
    nonce: z.string().nullable(),
    discordInstanceId: z.string().nullable(),
    discordChannelId: z.string().nullable(),
  }),
});
export type MjTask = z.infer<typeof MjTaskSchema>;

function mjProgress(record: TaskRecord): string {
  switch (record.status) {
    case "SUCCESS":
      return "100%";
    case "FAILURE":
    case "CANCEL":
      return "";
    default:
      return /^\d{1,3}%$/.test(record.progress) ? record.progress : "0%";
  }
}

/** One task store, two views: this is the `/mj` one (the seed's is `publicTask`). */
export function mjTask(record: TaskRecord): MjTask {
  const running = record.status === "IN_PROGRESS" || record.status === "SUBMITTED";
  const imageUrl = record.status === "SUCCESS" ? record.imageUrl : running ? record.previewUrl : null;
  return {
    id: record._id,
    action: record.action,
    status: record.status,
    prompt: record.prompt,
    promptEn: record.promptEn,
    description: record.status === "MODAL" ? "Waiting for window confirm" : record.description,
    state: record.state,
    submitTime: record.submitTime,
    startTime: record.startTime,
    finishTime: record.finishTime,
    imageUrl: imageUrl ?? null,
    imageUrls: (record.status === "SUCCESS" && record.imageUrl ? [record.imageUrl] : [])
      .concat(record.imageUrls)
      .map((url) => ({ url })),
    progress: mjProgress(record),
    failReason: record.failReason,
    buttons: record.buttons,
    customId: record.params.customId,
    parentId: record.parentId,
    botType: record.botType,
    mode: record.mode,
    seed: record.seed,
    properties: {
      finalPrompt: record.finalPrompt,
      finalZhPrompt: null,
      notifyHook: record.notifyHook,
      messageId: record.discord.messageId,
      messageHash: record.hash,
      progressMessageId: record.discord.progressMessageId,
      flags: record.discord.messageFlags,
      nonce: record.discord.nonce,
      discordInstanceId: record.accountId,
      discordChannelId: record.accountId,
    },
  };
}

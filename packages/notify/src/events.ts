import { createHash } from "node:crypto";
import { publicTask, type TaskRecord } from "@mjg/shared";
import { z } from "zod";
import type { NotifySettings } from "./settings.js";

export const TASK_EVENT_TYPES = ["task.submitted", "task.progress", "task.success", "task.failure"] as const;
export const TaskEventTypeSchema = z.enum(TASK_EVENT_TYPES);
export type TaskEventType = z.infer<typeof TaskEventTypeSchema>;

/** One callback delivery job: a snapshot of the event, so every retry sends the same bytes. */
export const CallbackJobSchema = z.object({
  eventId: z.string(),
  event: TaskEventTypeSchema,
  taskId: z.string(),
  url: z.string(),
  /** `JSON.stringify(publicTask(record))` when the event happened: what task/fetch returned then. */
  body: z.string(),
  occurredAt: z.number(),
});
export type CallbackJob = z.infer<typeof CallbackJobSchema>;

function eventType(record: TaskRecord, progressEvents: boolean): TaskEventType | null {
  switch (record.status) {
    case "SUCCESS":
      return "task.success";
    case "FAILURE":
      return "task.failure";
    case "SUBMITTED":
      return progressEvents ? "task.submitted" : null;
    case "IN_PROGRESS":
      return progressEvents ? "task.progress" : null;
    default:
      return null;
  }
}

/**
 * Same task, event and progress → same id: enqueueing twice is a no-op and the receiver sees one id
 * across retries. Hex only, since BullMQ job ids may not contain ':'.
 */
export function eventIdFor(taskId: string, event: TaskEventType, progress: string): string {
  const digest = createHash("sha256").update(`${taskId}\n${event}\n${progress}`).digest("hex");
  return `evt_${digest.slice(0, 32)}`;
}

/** The callback a task's current state calls for, or null when none is due. */
export function dueCallback(
  record: TaskRecord,
  settings: Pick<NotifySettings, "progressEvents" | "defaultHook">,
  now: number,
): CallbackJob | null {
  const url = record.notifyHook ?? settings.defaultHook;
  if (!url) return null;
  const event = eventType(record, settings.progressEvents);
  if (!event) return null;
  return {
    eventId: eventIdFor(record._id, event, record.progress),
    event,
    taskId: record._id,
    url,
    body: JSON.stringify(publicTask(record)),
    occurredAt: now,
  };
}

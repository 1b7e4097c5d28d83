import type { CorrelationEffect, TrackedJob } from "@mjg/midjourney";
import { isTerminal, progressPercent, type TaskPatch, type TaskRecord } from "@mjg/shared";

/**
 * What a correlation effect changes on the task record; null leaves it alone (already final,
 * progress not moving forward, or an effect the processor handles itself).
 */
export function effectPatch(record: TaskRecord, effect: CorrelationEffect, now: number): TaskPatch | null {
  if (isTerminal(record.status)) return null;
  switch (effect.type) {
    case "started":
      return {
        status: record.status === "NOT_START" ? "SUBMITTED" : record.status,
        discord: {
          ...(effect.interactionId ? { interactionId: effect.interactionId } : {}),
          ...(effect.progressMessageId ? { progressMessageId: effect.progressMessageId } : {}),
        },
      };
    case "progress": {
      const moved = effect.progress > progressPercent(record.progress) || record.status !== "IN_PROGRESS";
      if (!moved) return null;
      return {
        status: "IN_PROGRESS",
        progress: `${Math.max(effect.progress, progressPercent(record.progress))}%`,
        startTime: record.startTime ?? now,
        ...(effect.previewUrl ? { previewUrl: effect.previewUrl } : {}),
        discord: { progressMessageId: effect.progressMessageId },
      };
    }
    case "success":
      return {
        status: "SUCCESS",
        imageUrl: effect.result.imageUrl,
        uri: effect.result.imageUrl,
        hash: effect.result.jobHash,
        taskId: effect.result.messageId,
        content: effect.result.prompt ?? effect.result.content,
        // /describe and /shorten answer in text; everything else echoes the prompt it ran.
        finalPrompt: effect.result.text ?? effect.result.prompt ?? record.finalPrompt,
        buttons: effect.result.buttons,
        // The last preview has served its purpose once the image is there.
        previewUrl: null,
        startTime: record.startTime ?? now,
        finishTime: now,
        discord: { messageId: effect.result.messageId, messageFlags: effect.result.messageFlags },
      };
    case "failure":
    case "account":
      return { status: "FAILURE", failReason: effect.reason, finishTime: now };
    case "retry":
    case "queued":
    case "modal":
    case "iframe":
      return null;
  }
}

/** The correlator's view of a task, rebuilt from the record (also after a crash, by a new owner). */
export function trackedJob(record: TaskRecord, parent: TaskRecord | null): TrackedJob {
  const prompt =
    record.params.modalPrompt ?? record.promptEn ?? record.prompt ?? parent?.promptEn ?? parent?.prompt ?? "";
  // After a pop-up was submitted, Midjourney's messages carry the submit's nonce, not the click's.
  const { discord } = record;
  return {
    taskId: record._id,
    action: record.action,
    nonce: discord.modalNonce ?? discord.nonce ?? "",
    prompt,
    sentAt: discord.modalSentAt ?? discord.sentAt ?? record.submitTime,
    ...(record.params.customId ? { customId: record.params.customId } : {}),
    ...(parent?.discord.messageId ? { parentMessageId: parent.discord.messageId } : {}),
    ...(record.index !== null ? { index: record.index } : {}),
    ...(record.discord.interactionId ? { interactionId: record.discord.interactionId } : {}),
    ...(record.discord.progressMessageId ? { progressMessageId: record.discord.progressMessageId } : {}),
  };
}

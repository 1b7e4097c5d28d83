import { randomBytes } from "node:crypto";

/** A 24-hex task id shaped like a MongoDB ObjectId (the seed's `_id`): seconds then randomness. */
export function newTaskId(now = Date.now()): string {
  const seconds = Math.floor(now / 1000)
    .toString(16)
    .padStart(8, "0");
  return seconds + randomBytes(8).toString("hex");
}

export const TASK_ID_PATTERN = /^[0-9a-f]{24}$/;

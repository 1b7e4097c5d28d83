import { z } from "zod";
import { SpeedModeSchema } from "./task.js";

/**
 * The `/mj` view of an account, built field by field from a whitelist (NZ's account list leaked the
 * user token; this one cannot: nothing is copied that is not named here).
 */
export const MjAccountSchema = z.object({
  id: z.string(),
  channelId: z.string().nullable(),
  guildId: z.string().nullable(),
  enable: z.boolean(),
  /** Midjourney's running-job slots (the account's concurrency). */
  coreSize: z.number().int(),
  queueSize: z.number().int(),
  timeoutMinutes: z.number(),
  remix: z.boolean(),
  modes: z.array(SpeedModeSchema),
  /** Tasks running on Midjourney's side / waiting for a slot now. */
  runningCount: z.number().int(),
  queuedCount: z.number().int(),
  disabledReason: z.string().nullable(),
});
export type MjAccount = z.infer<typeof MjAccountSchema>;

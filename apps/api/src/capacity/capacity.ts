import { type AccountStatus, allowsMode, isAvailable, SPEED_MODES, type SpeedMode } from "@mjg/shared";
import { z } from "zod";
import type { Counts } from "../mj/accounts.js";

/** Room of a set of accounts: slots a new task can take, tasks waiting for a slot, tasks running. */
export const RoomSchema = z.object({
  /** New tasks the accounts take before the API answers 429. */
  free: z.number().int(),
  /** Tasks waiting for a Midjourney slot. */
  queued: z.number().int(),
  /** Tasks running on Midjourney's side. */
  running: z.number().int(),
});
export type Room = z.infer<typeof RoomSchema>;

/** `GET /api/v1/capacity`: the pool's room in total and per speed mode (accounts whose plan allows it). */
export const CapacitySchema = RoomSchema.extend({
  /** Enabled accounts not taken out of rotation. */
  accounts: z.number().int(),
  modes: z.record(z.enum(SPEED_MODES), RoomSchema),
});
export type Capacity = z.infer<typeof CapacitySchema>;

/** Sums the room of the usable accounts; a disabled account has no room to give. */
export function capacityOf(accounts: readonly AccountStatus[], counts: readonly Counts[]): Capacity {
  const usable = accounts.flatMap((account, i) =>
    isAvailable(account) ? [{ account, counts: counts[i] ?? { running: 0, load: 0 } }] : [],
  );
  const room = (entries: typeof usable): Room =>
    entries.reduce(
      (sum, { account, counts: c }) => ({
        free: sum.free + Math.max(0, account.concurrency + account.queueSize - c.load),
        queued: sum.queued + Math.max(0, c.load - c.running),
        running: sum.running + c.running,
      }),
      { free: 0, queued: 0, running: 0 },
    );
  const modes = Object.fromEntries(
    SPEED_MODES.map((mode: SpeedMode) => [
      mode,
      room(usable.filter(({ account }) => allowsMode(account, mode))),
    ]),
  ) as Capacity["modes"];
  return { ...room(usable), accounts: usable.length, modes };
}

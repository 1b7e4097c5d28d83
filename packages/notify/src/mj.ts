import { type KeySpace, mjTask, RedisScript, type TaskRecord, type TaskStatus } from "@mjg/shared";
import type { Redis } from "ioredis";
import { z } from "zod";
import { type CallbackJob, CallbackJobSchema, eventIdFor, type TaskEventType } from "./events.js";
import type { NotifySettings } from "./settings.js";

/**
 * Callbacks of `/mj` tasks: the body is the `/mj` Task JSON, sent on every status change and on
 * progress, coalesced per task. The newest state waits in a per-task slot; one BullMQ job at a time
 * ("a chain link") delivers whatever is newest when it runs, so at most one delivery per task is in
 * flight and an older state never follows a newer one (midjourney-proxy drops stale callbacks the
 * same way: status order, then progress).
 */
export const MJ_JOB_NAME = "mj.task";

export const MjChainJobSchema = z.object({ taskId: z.string(), seq: z.number().int() });
export type MjChainJob = z.infer<typeof MjChainJobSchema>;

const RANK: Record<TaskStatus, number> = {
  MODAL: 0,
  NOT_START: 1,
  SUBMITTED: 2,
  IN_PROGRESS: 3,
  SUCCESS: 4,
  FAILURE: 4,
  CANCEL: 4,
};

/** Status rank, then progress: the order in which a client may see a task's states. */
export function stateOrder(record: Pick<TaskRecord, "status" | "progress">): number {
  const rank = RANK[record.status];
  if (rank === 4) return 4_000;
  const percent = /^(\d{1,3})%$/.exec(record.progress);
  return rank * 1_000 + Math.min(Number(percent?.[1] ?? 0), 999);
}

function mjEvent(status: TaskStatus): TaskEventType {
  switch (status) {
    case "SUCCESS":
      return "task.success";
    case "FAILURE":
    case "CANCEL":
      return "task.failure";
    case "IN_PROGRESS":
      return "task.progress";
    default:
      return "task.submitted";
  }
}

/** The delivery a `/mj` task's current state calls for (whatever NOTIFY_PROGRESS_EVENTS says). */
export function mjCallback(
  record: TaskRecord,
  settings: Pick<NotifySettings, "defaultHook">,
  now: number,
): CallbackJob | null {
  const url = record.notifyHook ?? settings.defaultHook;
  if (!url) return null;
  const event = mjEvent(record.status);
  return {
    eventId: eventIdFor(record._id, event, `${record.status}:${record.progress}`),
    event,
    taskId: record._id,
    url,
    body: JSON.stringify(mjTask(record)),
    occurredAt: now,
  };
}

/** HASH per task: the newest state waiting (`pending`, `pendingOrder`), what was sent, the live link. */
export function mjSlotKey(keys: KeySpace, taskId: string): string {
  // Beside the task's own keys: same hash tag, so each script touches one slot.
  return `${keys.task(taskId)}:notify`;
}

/** The slot outlives the longest retry schedule. */
const SLOT_TTL_MS = 3 * 24 * 3600 * 1000;

// Keeps the state if it is newer than anything pending or sent; starts a link when none is live.
// Returns the live link's number (the caller makes sure its job exists), or 0 when nothing is due.
const OFFER = new RedisScript(`
local order = tonumber(ARGV[1])
local sent = tonumber(redis.call('HGET', KEYS[1], 'sentOrder') or '-1')
local pend = tonumber(redis.call('HGET', KEYS[1], 'pendingOrder') or '-1')
if order > sent and order > pend then
  redis.call('HSET', KEYS[1], 'pendingOrder', order, 'pending', ARGV[2])
  pend = order
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local live = redis.call('HGET', KEYS[1], 'live')
if live then return tonumber(live) end
if pend <= sent then return 0 end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('HSET', KEYS[1], 'live', seq)
return seq
`);

// The link about to deliver: the newest pending state, or nil when it is not the live link
// (a stray) or nothing newer than what was sent waits. A replayed link with none live takes over.
const TAKE = new RedisScript(`
local live = redis.call('HGET', KEYS[1], 'live')
if live and live ~= ARGV[1] then return false end
local sent = tonumber(redis.call('HGET', KEYS[1], 'sentOrder') or '-1')
local pend = tonumber(redis.call('HGET', KEYS[1], 'pendingOrder') or '-1')
if pend <= sent then
  if live then redis.call('HDEL', KEYS[1], 'live') end
  return false
end
redis.call('HSET', KEYS[1], 'live', ARGV[1])
return {redis.call('HGET', KEYS[1], 'pending'), tostring(pend)}
`);

// The link is done with state ARGV[2]. Delivered or never deliverable (ARGV[3] = 'consumed'): a newer
// state starts the next link (its number returned). Given up after its retries ('given-up'): no link
// stays live and the state stays pending, for a replay or the task's next state to deliver.
const DONE = new RedisScript(`
if redis.call('HGET', KEYS[1], 'live') ~= ARGV[1] then return 0 end
if ARGV[3] ~= 'consumed' then
  redis.call('HDEL', KEYS[1], 'live')
  return 0
end
local sent = tonumber(redis.call('HGET', KEYS[1], 'sentOrder') or '-1')
if tonumber(ARGV[2]) > sent then
  sent = tonumber(ARGV[2])
  redis.call('HSET', KEYS[1], 'sentOrder', sent)
end
local pend = tonumber(redis.call('HGET', KEYS[1], 'pendingOrder') or '-1')
if pend > sent then
  local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
  redis.call('HSET', KEYS[1], 'live', seq)
  return seq
end
redis.call('HDEL', KEYS[1], 'live')
return 0
`);

export async function offerMjState(
  redis: Redis,
  keys: KeySpace,
  job: CallbackJob,
  order: number,
): Promise<number> {
  return (await OFFER.run(
    redis,
    [mjSlotKey(keys, job.taskId)],
    [order, JSON.stringify(job), SLOT_TTL_MS],
  )) as number;
}

export async function takeMjState(
  redis: Redis,
  keys: KeySpace,
  link: MjChainJob,
): Promise<{ job: CallbackJob; order: number } | null> {
  const taken = (await TAKE.run(redis, [mjSlotKey(keys, link.taskId)], [link.seq])) as
    | [string, string]
    | null;
  if (!taken) return null;
  const parsed = CallbackJobSchema.safeParse(JSON.parse(taken[0]));
  return parsed.success ? { job: parsed.data, order: Number(taken[1]) } : null;
}

/**
 * Ends a link. "consumed": the state was delivered or never can be (410, refused); returns the next
 * link's number when a newer state waits, else 0. "given-up": out of retries (or crashed past the
 * stall limit); the state stays pending and no link is live.
 */
export async function finishMjLink(
  redis: Redis,
  keys: KeySpace,
  link: MjChainJob,
  order: number,
  outcome: "consumed" | "given-up",
): Promise<number> {
  return (await DONE.run(redis, [mjSlotKey(keys, link.taskId)], [link.seq, order, outcome])) as number;
}

/** BullMQ job id of a chain link (not an integer: BullMQ refuses those). */
export function mjLinkJobId(taskId: string, seq: number): string {
  return `mj-${taskId}-${seq}`;
}

/**
 * Every Redis key and BullMQ queue name, in one place.
 *
 * Redis Cluster: the part in braces is the hash tag. A task's keys share the tag `{<taskId>}`;
 * an account's keys and its BullMQ queue share `{acct-<accountId>}` (BullMQ builds its keys as
 * `<prefix>:<queueName>:…`, and the queue name carries the braces), so each Lua script and
 * MULTI touches one slot. The global indexes (task list, deadlines, registry) are single keys.
 */
export interface KeySpace {
  readonly prefix: string;
  task(taskId: string): string;
  taskCallbacks(taskId: string): string;
  /** LIST of a task's input images (data URLs; Vary Region's mask last), deleted once sent to Discord. */
  taskImages(taskId: string): string;
  /** ZSET of every task id scored by submitTime (ms): the list index. */
  readonly taskIndex: string;
  /** ZSET of unfinished task ids scored by the time they must have ended (ms). */
  readonly deadlines: string;
  /** HASH accountId → public account status JSON (never a token). */
  readonly accounts: string;
  /** ZSET of the account's unfinished task ids scored by deadline: its load. */
  accountLoad(accountId: string): string;
  /** ZSET of the account's tasks running on Midjourney's side, scored by deadline (kept across owners). */
  accountRunning(accountId: string): string;
  /** STRING: id of the worker process that owns the account, with a TTL. */
  accountLease(accountId: string): string;
  /** STRING: earliest time (ms) the account may send its next interaction. */
  accountPacing(accountId: string): string;
  /** ZSET of worker process ids scored by their last heartbeat (ms). */
  readonly workers: string;
  /** Pub/sub channel on which account enable/disable requests are announced. */
  readonly accountEvents: string;
  /** BullMQ queue name of an account's work. */
  accountQueue(accountId: string): string;
  /** BullMQ queue name of callback deliveries. */
  readonly notifyQueue: string;
}

export const ACCOUNT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function keySpace(prefix = "mj"): KeySpace {
  const acct = (id: string) => `${prefix}:acct:{acct-${id}}`;
  return {
    prefix,
    task: (id) => `${prefix}:task:{${id}}`,
    taskCallbacks: (id) => `${prefix}:task:{${id}}:callbacks`,
    taskImages: (id) => `${prefix}:task:{${id}}:images`,
    taskIndex: `${prefix}:tasks`,
    deadlines: `${prefix}:deadlines`,
    accounts: `${prefix}:accounts`,
    accountLoad: (id) => `${acct(id)}:load`,
    accountRunning: (id) => `${acct(id)}:running`,
    accountLease: (id) => `${acct(id)}:lease`,
    accountPacing: (id) => `${acct(id)}:pacing`,
    workers: `${prefix}:workers`,
    accountEvents: `${prefix}:account-events`,
    accountQueue: (id) => `{acct-${id}}`,
    notifyQueue: "{notify}",
  };
}

import { type AccountDirectory, type AccountStatus, ApiError, isAvailable, rankAccounts } from "@mjg/shared";

// An account disabled in another process stops receiving new tasks within this long.
const REGISTRY_MAX_AGE_MS = 500;

/** Takes a slot on the account for the new task (and may write the task with it); false: full. */
export type TakeSlot = (account: AccountStatus) => Promise<boolean>;

/** The plain slot reservation, for when the record is written apart from it (a Redis Cluster). */
export function reserveSlot(directory: AccountDirectory, taskId: string, deadline: number): TakeSlot {
  return (account) => directory.reserve(account, taskId, deadline);
}

/**
 * Takes a slot on an account for a new task: the parent's account for UPSCALE / VARIATION,
 * otherwise the least-loaded enabled one that `accept` takes (speed mode, account filter).
 * Refuses with 429 when every wait list is full.
 */
export async function reserveAccount(
  directory: AccountDirectory,
  take: TakeSlot,
  parentAccountId: string | null,
  accept: (account: AccountStatus) => boolean = () => true,
): Promise<AccountStatus> {
  if (parentAccountId !== null) {
    const account = await directory.get(parentAccountId);
    if (!account || !isAvailable(account)) throw new ApiError("PARENT_ACCOUNT_UNAVAILABLE");
    if (!(await take(account))) throw new ApiError("ACCOUNT_QUEUE_FULL");
    return account;
  }
  const accounts = (await directory.listCached(REGISTRY_MAX_AGE_MS)).filter(
    (account) => isAvailable(account) && accept(account),
  );
  if (accounts.length === 0) throw new ApiError("NO_ACCOUNT");
  // One account needs no ranking: its reservation alone says whether there is room.
  const ranked =
    accounts.length === 1
      ? accounts
      : rankAccounts(accounts, await directory.loads(accounts.map((account) => account.id)));
  // Another API process may fill an account between ranking and reserving: try the next one.
  for (const account of ranked) {
    if (await take(account)) return account;
  }
  throw new ApiError("QUEUES_FULL");
}

import {
  type AccountDirectory,
  type AccountJob,
  type AccountStatus,
  ApiError,
  BannedPromptError,
  type KeySpace,
  type NewTask,
  newNumericTaskId,
  newTaskId,
  newTaskRecord,
  QUEUE_STREAMS,
  ScriptNotLoadedError,
  TASK_JOB_NAME,
  TaskExistsError,
  type TaskRecord,
  type TaskStore,
  taskJobId,
  taskJobOptions,
  waitForReplicas,
} from "@mjg/shared";
import type { SubmitInput } from "@mjg/shared/seed-requests";
import { type BannedWords, TranslationError, type Translator, translatePrompt } from "@mjg/translate";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { AccountLoads, reserveAccount, reserveSlot } from "./accounts.js";
import { CreateBatcher } from "./batcher.js";

export interface SubmitDeps {
  store: TaskStore;
  directory: AccountDirectory;
  keys: KeySpace;
  /** Connection shared by the account queues (fail-fast, so a Redis outage answers 503). */
  connection: Redis;
  /** Translator filling `promptEn`; null: it equals `prompt`. */
  translator: Translator | null;
  bannedWords: BannedWords;
  /** Extra check of the notifyHook (e.g. private-address guard); throws ApiError to refuse. */
  checkNotifyHook?: (url: string) => Promise<void>;
}

/** How a new task finds its account. */
export interface AccountChoice {
  /** The parent's account (button tasks); null: the least-loaded account `accept` takes. */
  parentAccountId: string | null;
  /** Extra condition on a picked account (speed mode, `accountFilter`). */
  accept?: (account: AccountStatus) => boolean;
}

/** Everything one submit path needs to create a task, whichever API asked. */
export interface TaskDraft {
  /** "seed": 24-hex ids; "mj": numeric ids, drawn again on a collision. */
  ids: "seed" | "mj";
  choice: AccountChoice;
  /** The record's fields once the account is known (its speed modes may decide the task's). */
  task: (account: AccountStatus) => Omit<NewTask, "_id" | "accountId" | "submitTime">;
  /** Input images (data URLs, in order), kept with the record until the worker sends them. */
  images?: readonly string[];
  /** A MODAL task: the record and its account slot, but no job until `/mj/submit/modal`. */
  hold?: boolean;
}

export interface Submission {
  record: TaskRecord;
  account: AccountStatus;
}

// A numeric id repeated across API processes is refused by the record's SET NX: draw again.
const MAX_ID_DRAWS = 8;
// Input images outlive the task's deadline by this much, then Redis drops them.
const IMAGES_GRACE_MS = 3_600_000;

/** Creates the task record and its queued job together, or neither. */
export class TaskSubmitter {
  private readonly queues = new Map<string, Queue<AccountJob>>();
  private readonly batcher: CreateBatcher;
  private readonly loads: AccountLoads;

  constructor(private readonly deps: SubmitDeps) {
    this.loads = new AccountLoads(deps.directory);
    this.batcher = new CreateBatcher({
      store: deps.store,
      storeImages: (taskId, images) => this.storeImages(taskId, images),
      queueFor: (accountId) => this.queueFor(accountId),
      confirmQueued: (accountId) => this.confirmQueued(accountId),
    });
  }

  /** The seed's `/api/v1/trigger/submit`. */
  async submit(input: SubmitInput): Promise<string> {
    const { store } = this.deps;
    if (input.notifyHook) await this.checkNotifyHook(input.notifyHook);

    let parentAccountId: string | null = null;
    let parentPrompt: string | null = null;
    let parentPromptEn: string | null = null;
    if (input.action !== "IMAGINE") {
      const parent = await store.get(input.taskId!);
      if (!parent) throw new ApiError("PARENT_NOT_FOUND");
      if (parent.action === "UPSCALE") throw new ApiError("PARENT_NOT_ELIGIBLE");
      if (parent.status !== "SUCCESS")
        throw new ApiError("PARENT_NOT_FINISHED", `its status is ${parent.status}`);
      parentAccountId = parent.accountId;
      parentPrompt = parent.prompt;
      parentPromptEn = parent.promptEn;
    }

    const prompt = input.action === "IMAGINE" ? input.prompt!.trim() : parentPrompt;
    const promptEn = input.action === "IMAGINE" ? await this.englishPrompt(prompt!) : parentPromptEn;

    const { record } = await this.create({
      ids: "seed",
      choice: { parentAccountId },
      task: () => ({
        action: input.action,
        prompt,
        promptEn,
        state: input.state ?? null,
        notifyHook: input.notifyHook ?? null,
        index: input.index ?? null,
        parentId: input.taskId ?? null,
      }),
    });
    return record._id;
  }

  /**
   * The one submit path of both APIs: reserve an account slot, write the record (and its input
   * images), queue the job; any failure undoes what was written, so nothing half-made stays.
   */
  async create(draft: TaskDraft): Promise<Submission> {
    const { store, directory } = this.deps;
    for (let draw = 1; ; draw++) {
      const now = Date.now();
      const id = draft.ids === "seed" ? newTaskId(now) : newNumericTaskId(now);
      let made: Submission;
      try {
        // One Redis server: the record, images and job are already written together.
        if (store.createsWithSlot) return await this.reserveAndWrite(draft, id, now);
        made = await this.reserveThenWrite(draft, id, now);
      } catch (error) {
        // The id is another task's (a numeric id drawn twice across processes), or Redis had lost
        // the create script (nothing written, the job taken back): draw a new id and go again.
        if (
          (error instanceof TaskExistsError || error instanceof ScriptNotLoadedError) &&
          draw < MAX_ID_DRAWS
        )
          continue;
        throw error;
      }
      try {
        if (draft.images && draft.images.length > 0) await this.storeImages(id, draft.images);
        if (!draft.hold) {
          await this.enqueue(id, made.account.id);
          await this.confirmQueued(made.account.id);
        }
      } catch (error) {
        // Compensate: without its job the record would never be worked on.
        await Promise.allSettled([
          draft.hold ? null : this.removeJob(id, made.account.id),
          store.remove(id),
          directory.release(made.account.id, id),
          this.deps.connection.del(this.deps.keys.taskImages(id)),
        ]);
        throw error;
      }
      return made;
    }
  }

  /**
   * One Redis server: the slot, the record, its list entry and deadline in one script, sent together
   * with the input images and the job (one round trip), batched with the other submits of the same
   * moment (CreateBatcher). Redis runs a connection's commands in the order they were sent, so the
   * worker never finds the job before its record; a full account takes the job back (a job without a
   * record ends at once in the worker).
   */
  private async reserveAndWrite(draft: TaskDraft, id: string, now: number): Promise<Submission> {
    const { store, directory } = this.deps;
    let record: TaskRecord | null = null;
    const account = await reserveAccount(
      this.loads,
      async (candidate) => {
        const candidateRecord = recordOf(draft, id, candidate, now);
        const slot = { accountId: candidate.id, capacity: candidate.concurrency + candidate.queueSize };
        const written = await this.batcher.write({
          record: candidateRecord,
          slot,
          images: draft.images ?? null,
          job: !draft.hold,
        });
        const outcome = written.record;
        const failed = [written.images, written.job].find((result) => result?.status === "rejected");
        if (outcome.status === "fulfilled" && outcome.value === "created" && !failed) {
          record = candidateRecord;
          return true;
        }
        // An id collision: the job under this id is the other task's, and nothing else was written.
        if (outcome.status === "fulfilled" && outcome.value === "exists") throw new TaskExistsError(id);
        // The script did not run (full, or not loaded): only the job and images are ours to take back.
        const nothingWritten =
          (outcome.status === "fulfilled" && outcome.value === "full") ||
          (outcome.status === "rejected" && outcome.reason instanceof ScriptNotLoadedError);
        await Promise.allSettled([
          written.job ? this.removeJob(id, candidate.id) : null,
          this.deps.connection.del(this.deps.keys.taskImages(id)),
          // Written but not queued, or a reply lost after the script ran: take the writes back.
          ...(nothingWritten ? [] : [store.remove(id), directory.release(candidate.id, id)]),
        ]);
        if (outcome.status === "rejected") throw outcome.reason;
        if (failed) throw (failed as PromiseRejectedResult).reason;
        return false;
      },
      draft.choice.parentAccountId,
      draft.choice.accept,
    );
    return { record: record!, account };
  }

  /** A Redis Cluster: the slot (account's slot), then the record and its indexes (their own slots). */
  private async reserveThenWrite(draft: TaskDraft, id: string, now: number): Promise<Submission> {
    const { store, directory } = this.deps;
    const account = await reserveAccount(
      this.loads,
      reserveSlot(directory, id, now + store.timeoutMs),
      draft.choice.parentAccountId,
      draft.choice.accept,
    );
    const record = recordOf(draft, id, account, now);
    try {
      await store.create(record);
    } catch (error) {
      // An id collision: the record under this id is another task's, only our slot is ours to free.
      if (error instanceof TaskExistsError) await directory.release(account.id, id).catch(() => undefined);
      else await Promise.allSettled([store.remove(id), directory.release(account.id, id)]);
      throw error;
    }
    return { record, account };
  }

  /** Takes back a task made moments ago (a later step of the same request was refused). */
  async discard({ record, account }: Submission): Promise<void> {
    await this.removeJob(record._id, account.id);
    await Promise.allSettled([
      this.deps.store.remove(record._id),
      this.deps.directory.release(account.id, record._id),
      this.deps.connection.del(this.deps.keys.taskImages(record._id)),
    ]);
  }

  /** Removes the task's job if it is still there (a worker may have taken it: it finds no record and ends). */
  private async removeJob(taskId: string, accountId: string): Promise<void> {
    const job = await this.queueFor(accountId).getJob(taskJobId(taskId));
    await job?.remove().catch(() => undefined);
  }

  /** The account queue's writes are on replicas too (REDIS_WAIT_REPLICAS) before an answer says so. */
  private async confirmQueued(accountId: string): Promise<void> {
    // Routed by a key of the queue: on a cluster the queue lives on its account's master.
    await waitForReplicas(
      this.deps.connection,
      `${this.deps.keys.prefix}:${this.deps.keys.accountQueue(accountId)}:meta`,
    );
  }

  /** Adds the task's job to its account queue (the job id is the task id: queued at most once). */
  async enqueue(taskId: string, accountId: string): Promise<void> {
    await this.queueFor(accountId).add(TASK_JOB_NAME, { taskId }, taskJobOptions(taskId));
  }

  /** Appends input images to the task's image list, kept a while past the task's deadline. */
  async storeImages(taskId: string, images: readonly string[]): Promise<void> {
    const key = this.deps.keys.taskImages(taskId);
    const results = await this.deps.connection
      .multi()
      .rpush(key, ...images)
      .pexpire(key, this.deps.store.timeoutMs + IMAGES_GRACE_MS)
      .exec();
    const failed = results?.find(([error]) => error);
    if (failed) throw failed[0];
  }

  /** Tasks waiting (not running) ahead of a new task on its account, counted after its reservation. */
  async waitingAhead(account: AccountStatus): Promise<number> {
    const [load = 0] = await this.deps.directory.loads([account.id]);
    return Math.max(0, load - 1 - account.concurrency);
  }

  /** Refuses a notifyHook the guard does not allow (private addresses unless allowed). */
  async checkNotifyHook(url: string): Promise<void> {
    if (this.deps.checkNotifyHook) await this.deps.checkNotifyHook(url);
  }

  /** Refuses banned words (in the prompt as written and as translated), then translates. */
  async englishPrompt(prompt: string): Promise<string> {
    const { bannedWords, translator } = this.deps;
    const refuse = (word: string | null, checked: string) => {
      if (word) throw new BannedPromptError(word, checked);
    };
    refuse(bannedWords.find(prompt), prompt);
    let promptEn: string;
    try {
      promptEn = await translatePrompt(prompt, translator);
    } catch (error) {
      if (error instanceof TranslationError) throw new ApiError("TRANSLATION_FAILED");
      throw error;
    }
    // Untranslated (no translator, or nothing to translate): the prompt was checked above.
    if (promptEn !== prompt) refuse(bannedWords.find(promptEn), promptEn);
    return promptEn;
  }

  queueFor(accountId: string): Queue<AccountJob> {
    let queue = this.queues.get(accountId);
    if (!queue) {
      queue = new Queue<AccountJob>(this.deps.keys.accountQueue(accountId), {
        connection: this.deps.connection,
        prefix: this.deps.keys.prefix,
        streams: QUEUE_STREAMS,
      });
      this.queues.set(accountId, queue);
    }
    return queue;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
  }
}

/** The new record of a draft once its account is known. */
function recordOf(draft: TaskDraft, id: string, account: AccountStatus, now: number): TaskRecord {
  // Assigned onto the fresh object, not spread into a new one: V8 turns a spread plus extra fields
  // into a slow dictionary object, and this runs once per task (measured 25 times slower).
  return newTaskRecord(
    Object.assign(draft.task(account), { _id: id, accountId: account.id, submitTime: now }),
  );
}

import {
  type AccountDirectory,
  ApiError,
  type KeySpace,
  newTaskId,
  newTaskRecord,
  TASK_JOB_NAME,
  type TaskJob,
  type TaskStore,
  taskJobOptions,
} from "@mjg/shared";
import { type BannedWords, TranslationError, type Translator, translatePrompt } from "@mjg/translate";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { reserveAccount } from "./accounts.js";
import type { SubmitInput } from "./schema.js";

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

/** Creates the task record and its queued job together, or neither. */
export class TaskSubmitter {
  private readonly queues = new Map<string, Queue<TaskJob>>();

  constructor(private readonly deps: SubmitDeps) {}

  async submit(input: SubmitInput): Promise<string> {
    const { store, directory } = this.deps;
    if (input.notifyHook && this.deps.checkNotifyHook) await this.deps.checkNotifyHook(input.notifyHook);

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

    const now = Date.now();
    const id = newTaskId(now);
    const account = await reserveAccount(directory, id, now + store.timeoutMs, parentAccountId);
    const record = newTaskRecord({
      _id: id,
      action: input.action,
      prompt,
      promptEn,
      state: input.state ?? null,
      notifyHook: input.notifyHook ?? null,
      index: input.index ?? null,
      parentId: input.taskId ?? null,
      accountId: account.id,
      submitTime: now,
    });
    try {
      await store.create(record);
      await this.queueFor(account.id).add(TASK_JOB_NAME, { taskId: id }, taskJobOptions(id));
    } catch (error) {
      // Compensate: without its job the record would never be worked on.
      await Promise.allSettled([store.remove(id), directory.release(account.id, id)]);
      throw error;
    }
    return id;
  }

  /** Refuses banned words (in the prompt as written and as translated), then translates. */
  private async englishPrompt(prompt: string): Promise<string> {
    const { bannedWords, translator } = this.deps;
    const refuse = (word: string | null) => {
      if (word) throw new ApiError("PROMPT_BANNED", `"${word}"`);
    };
    refuse(bannedWords.find(prompt));
    let promptEn: string;
    try {
      promptEn = await translatePrompt(prompt, translator);
    } catch (error) {
      if (error instanceof TranslationError) throw new ApiError("TRANSLATION_FAILED");
      throw error;
    }
    refuse(bannedWords.find(promptEn));
    return promptEn;
  }

  queueFor(accountId: string): Queue<TaskJob> {
    let queue = this.queues.get(accountId);
    if (!queue) {
      queue = new Queue<TaskJob>(this.deps.keys.accountQueue(accountId), {
        connection: this.deps.connection,
        prefix: this.deps.keys.prefix,
      });
      this.queues.set(accountId, queue);
    }
    return queue;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
  }
}

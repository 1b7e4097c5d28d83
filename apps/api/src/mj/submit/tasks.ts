import {
  type GridIndex,
  picReaderPrompts,
  planButton,
  rerollCustomId,
  upsampleCustomId,
  variationCustomId,
} from "@mjg/midjourney";
import { MjError, type NewTask, type SpeedMode, type TaskAction, type TaskRecord } from "@mjg/shared";
import type { Submission } from "../../submit/service.js";
import type { MjEnvelope } from "../envelope.js";
import { mjModal, mjSubmitted, mjSuccess } from "../envelope.js";
import type { MjDeps } from "../index.js";
import {
  type AccountFilter,
  accountAccepts,
  botTypeOf,
  modeInPrompt,
  taskMode,
  withModeFlag,
} from "./prompt.js";

/** Fields every `/mj` submit body may carry. */
export interface MjCommon {
  botType?: string | null | undefined;
  accountFilter?: AccountFilter | undefined;
  state?: string | undefined;
  notifyHook?: string | undefined;
}

/** A new command task (imagine, describe, blend, shorten, upload): its own prompt and images. */
export interface CommandTask extends MjCommon {
  action: Extract<TaskAction, "IMAGINE" | "DESCRIBE" | "BLEND" | "SHORTEN" | "UPLOAD">;
  /** What the user typed (null for describe, blend, upload). */
  prompt: string | null;
  images: string[];
  params?: NewTask["params"];
}

/** A click on a parent task's button. */
interface ButtonTask {
  parent: TaskRecord;
  action: TaskAction;
  index: number | null;
  customId: string;
  /** MODAL: kept until `/mj/submit/modal`. */
  hold: boolean;
  remix: boolean;
  /** What the pop-up will show (the modal's prompt when the client leaves it blank). */
  finalPrompt: string | null;
  modalPrompt?: string | null;
  state?: string | undefined;
  notifyHook?: string | undefined;
}

// Parents a U / V / reroll of `/mj/submit/change` may start from (contract §2.3).
const CHANGEABLE: ReadonlySet<TaskAction> = new Set(["IMAGINE", "VARIATION", "REROLL", "BLEND"]);
const CUSTOM_ZOOM = /^MJ::CustomZoom::/i;
const NUMBERED = /^MJ::Job::(?:PicReader|PromptAnalyzer)::(\d+)$/i;
const ZOOM_FLAG = /(?:^|\s)--zoom\s+(\d+(?:\.\d+)?)(?=\s|$)/i;

/** The `/mj` submit side: validated input in, tasks through the shared submitter, envelopes out. */
export class MjSubmitService {
  constructor(private readonly deps: MjDeps) {}

  /** imagine / describe / blend / shorten / upload: a new task on the least-loaded fitting account. */
  async command(input: CommandTask): Promise<Submission> {
    const { submitter } = this.deps;
    if (input.notifyHook) await submitter.checkNotifyHook(input.notifyHook);
    const prompt = input.prompt;
    // Banned words and translation before any slot is taken.
    const promptEn = prompt === null ? null : await submitter.englishPrompt(prompt);
    const wanted = this.deps.mode ?? (prompt ? modeInPrompt(prompt) : null);
    return submitter.create({
      ids: "mj",
      choice: { parentAccountId: null, accept: accountAccepts(wanted, input.accountFilter) },
      images: input.images,
      task: (account) => {
        const mode = taskMode(this.deps.mode, prompt ?? "", input.accountFilter, account);
        return {
          action: input.action,
          api: "mj",
          prompt,
          promptEn: promptEn === null ? null : withModeFlag(promptEn, mode),
          state: input.state ?? null,
          notifyHook: input.notifyHook ?? null,
          index: null,
          parentId: null,
          mode,
          botType: botTypeOf(input.botType, prompt ?? ""),
          params: { imageCount: input.images.length, ...input.params },
        };
      },
    });
  }

  /** The answer to a new task: code 1, or 22 with how many wait ahead on its account. */
  async submitted(submission: Submission): Promise<MjEnvelope<string>> {
    const ahead = await this.deps.submitter.waitingAhead(submission.account);
    return mjSubmitted(submission.record._id, submission.account.id, ahead);
  }

  /** `/mj/submit/change` and `simple-change`: U / V / reroll built from the parent's message hash. */
  async change(
    input: {
      taskId: string;
      action: "UPSCALE" | "VARIATION" | "REROLL";
      index?: number | undefined;
    } & MjCommon,
  ): Promise<MjEnvelope<string>> {
    if (input.action !== "REROLL" && input.index === undefined) throw new MjError("INDEX_INVALID");
    const parent = await this.finishedParent(input.taskId);
    if (!CHANGEABLE.has(parent.action)) throw new MjError("PARENT_NOT_CHANGEABLE");
    if (!parent.hash) throw new MjError("PARENT_STATUS_INVALID");
    const index = (input.index ?? null) as GridIndex | null;
    const customId =
      input.action === "UPSCALE"
        ? upsampleCustomId(index!, parent.hash)
        : input.action === "VARIATION"
          ? variationCustomId(index!, parent.hash)
          : rerollCustomId(parent.hash);
    // `change` has no pop-up step: on a Remix account the parent's prompt answers the pop-up.
    const remix = input.action !== "UPSCALE" && (await this.remixOn(parent));
    const submission = await this.button({
      parent,
      action: input.action,
      index,
      customId,
      hold: false,
      remix,
      finalPrompt: parent.finalPrompt,
      modalPrompt: remix ? (parent.promptEn ?? parent.prompt) : null,
      state: input.state,
      notifyHook: input.notifyHook,
    });
    return this.submitted(submission);
  }

  /** `/mj/submit/action`: any button of the parent's message. */
  async action(
    input: { taskId: string; customId: string; enableRemix: boolean } & MjCommon,
  ): Promise<MjEnvelope<string>> {
    const parent = await this.finishedParent(input.taskId);
    const plan = planButton(input.customId, parent.action);
    if (!plan) throw new MjError("UNKNOWN_ACTION_TYPE");
    if (!parent.buttons.some((button) => button.customId === input.customId))
      throw new MjError("CUSTOM_ID_NOT_ON_PARENT");
    if (/^MJ::Job::PicReader::all\b/i.test(input.customId)) return this.imagineAll(parent, input);

    const needsModal =
      plan.modal === "always" ||
      (plan.modal === "remix" &&
        (input.enableRemix || input.accountFilter?.remix || (await this.remixOn(parent))));
    const finalPrompt = this.popupPrompt(parent, input.customId);
    const submission = await this.button({
      parent,
      action: plan.action,
      index: plan.index,
      customId: input.customId,
      hold: needsModal,
      remix: needsModal && plan.modal === "remix",
      finalPrompt,
      state: input.state,
      notifyHook: input.notifyHook,
    });
    if (plan.bookmark) return mjSuccess(parent._id, { discordInstanceId: submission.account.id });
    if (needsModal) return mjModal(submission.record._id, submission.account.id, finalPrompt);
    return this.submitted(submission);
  }

  /** `/mj/submit/modal`: the pop-up's prompt (and Vary Region's mask); the MODAL task is queued. */
  async modal(input: {
    taskId: string;
    prompt?: string | undefined;
    maskBase64?: string | undefined;
    state?: string | undefined;
    notifyHook?: string | undefined;
  }): Promise<MjEnvelope<string>> {
    const { store, submitter, directory } = this.deps;
    const task = await store.get(input.taskId);
    if (!task) throw new MjError("PARENT_NOT_FOUND");
    if (task.status !== "MODAL") throw new MjError("NOT_MODAL");
    const customId = task.params.customId ?? "";
    const plan = planButton(customId, task.action);
    // Blank: the task's prompt, then its finalPrompt; a numbered prompt's pop-up shows that prompt.
    const fallback = NUMBERED.test(customId)
      ? task.finalPrompt?.trim()
      : task.prompt?.trim() || task.finalPrompt?.trim();
    const typed = input.prompt ?? fallback;
    if (!typed) throw new MjError("PROMPT_REQUIRED");
    if (CUSTOM_ZOOM.test(customId)) {
      const zoom = Number(ZOOM_FLAG.exec(typed)?.[1]);
      if (!(zoom >= 1 && zoom <= 2)) throw new MjError("ZOOM_INVALID");
    }
    if (plan?.iframe && !input.maskBase64) throw new MjError("MASK_REQUIRED");
    if (input.notifyHook) await submitter.checkNotifyHook(input.notifyHook);
    const modalPrompt = withModeFlag(await submitter.englishPrompt(typed), task.mode);

    if (input.maskBase64) await submitter.storeImages(task._id, [input.maskBase64]);
    const result = await store.update(task._id, (record) =>
      record.status === "MODAL"
        ? {
            status: "NOT_START",
            state: input.state ?? record.state,
            notifyHook: input.notifyHook ?? record.notifyHook,
            params: { ...record.params, modalPrompt, hasMask: input.maskBase64 !== undefined },
          }
        : null,
    );
    // Confirmed twice at once, or ended (timeout, cancel) meanwhile: only one confirmation queues it.
    if (result.outcome !== "updated") throw new MjError("NOT_MODAL");
    const accountId = result.record.accountId!;
    try {
      await submitter.enqueue(task._id, accountId);
    } catch (error) {
      // Without its job the task would wait for nothing: end it and free its slot.
      await Promise.allSettled([
        store.update(task._id, () => ({ status: "FAILURE", failReason: "提交失败，系统异常" })),
        directory.release(accountId, task._id),
      ]);
      throw error;
    }
    const account = await directory.get(accountId);
    const ahead = account ? await submitter.waitingAhead(account) : 0;
    return mjSubmitted(task._id, accountId, ahead);
  }

  /** 🎉 Imagine all of a /describe answer: one IMAGINE task per prompt, ids joined by commas. */
  private async imagineAll(parent: TaskRecord, input: MjCommon): Promise<MjEnvelope<string>> {
    const prompts = picReaderPrompts(parent.finalPrompt ?? "").slice(0, 4);
    if (prompts.length === 0) throw new MjError("PARENT_STATUS_INVALID");
    const made: Submission[] = [];
    try {
      for (const prompt of prompts) {
        made.push(
          await this.command({
            action: "IMAGINE",
            prompt,
            images: [],
            botType: parent.botType,
            accountFilter: input.accountFilter,
            state: input.state,
            notifyHook: input.notifyHook,
          }),
        );
      }
    } catch (error) {
      // All or none: a refusal half-way takes back the tasks already made.
      await Promise.allSettled(made.map((submission) => this.deps.submitter.discard(submission)));
      throw error;
    }
    const first = made[0]!;
    const ahead = await this.deps.submitter.waitingAhead(first.account);
    return mjSubmitted(made.map((submission) => submission.record._id).join(","), first.account.id, ahead);
  }

  private async finishedParent(taskId: string): Promise<TaskRecord> {
    const parent = await this.deps.store.get(taskId);
    if (!parent) throw new MjError("PARENT_NOT_FOUND");
    if (parent.status !== "SUCCESS") throw new MjError("PARENT_STATUS_INVALID");
    return parent;
  }

  private async remixOn(parent: TaskRecord): Promise<boolean> {
    if (!parent.accountId) return false;
    return (await this.deps.directory.get(parent.accountId))?.remix === true;
  }

  /** What a pop-up is pre-filled with: the n-th prompt for PicReader / PromptAnalyzer, else the parent's. */
  private popupPrompt(parent: TaskRecord, customId: string): string | null {
    const numbered = NUMBERED.exec(customId);
    if (numbered) return picReaderPrompts(parent.finalPrompt ?? "")[Number(numbered[1]) - 1] ?? null;
    return parent.finalPrompt ?? parent.promptEn ?? parent.prompt;
  }

  /** A task clicking one of the parent's buttons, on the parent's account, with its prompts. */
  private async button(spec: ButtonTask): Promise<Submission> {
    const { parent } = spec;
    if (spec.notifyHook) await this.deps.submitter.checkNotifyHook(spec.notifyHook);
    const mode: SpeedMode | null = this.deps.mode ?? parent.mode;
    return this.deps.submitter.create({
      ids: "mj",
      choice: { parentAccountId: parent.accountId },
      hold: spec.hold,
      task: () => ({
        action: spec.action,
        api: "mj",
        status: spec.hold ? "MODAL" : "NOT_START",
        prompt: parent.prompt,
        promptEn: parent.promptEn,
        finalPrompt: spec.hold ? spec.finalPrompt : parent.finalPrompt,
        state: spec.state ?? null,
        notifyHook: spec.notifyHook ?? null,
        index: spec.index,
        parentId: parent._id,
        mode,
        botType: parent.botType,
        params: { customId: spec.customId, remix: spec.remix, modalPrompt: spec.modalPrompt ?? null },
      }),
    });
  }
}

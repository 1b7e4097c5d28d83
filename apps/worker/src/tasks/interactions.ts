import type { DiscordRest } from "@mjg/discord-client";
import {
  type ApplicationCommand,
  blendInteraction,
  buttonInteraction,
  type CommandName,
  describeInteraction,
  type GridIndex,
  imageMessageBody,
  imagineInteraction,
  MIDJOURNEY_APPLICATION_ID,
  NIJI_APPLICATION_ID,
  planButton,
  rerollCustomId,
  shortenInteraction,
  upsampleCustomId,
  variationCustomId,
} from "@mjg/midjourney";
import type { BotType, KeySpace, TaskRecord } from "@mjg/shared";
import type { Redis } from "ioredis";
import {
  decodeDataUrl,
  dropTaskImages,
  type InputImage,
  publicUrls,
  taskImages,
  uploadImages,
} from "./images.js";

/** What sending a task needs from its account: REST, the command index, and where its images wait. */
export interface SendContext {
  rest: DiscordRest;
  guildId: string;
  channelId: string;
  redis: Redis;
  keys: KeySpace;
  command(name: CommandName, botType: BotType, refresh?: boolean): Promise<ApplicationCommand>;
  /** Keeps the prompt as it will be sent (image URLs put before it), so a resend uploads nothing again. */
  savePromptEn(promptEn: string): Promise<void>;
}

export interface InteractionBase {
  guildId: string;
  channelId: string;
  sessionId: string;
  nonce: string;
}

export type Prepared =
  | {
      kind: "interaction";
      /** The slash command sent, refreshed from the index when Discord calls it outdated. */
      commandName: CommandName | null;
      build(base: InteractionBase): Promise<Record<string, unknown>>;
      /** ❤️ bookmark: Discord's 204 is the whole result. */
      endsOnAccept: boolean;
    }
  | { kind: "refused"; reason: string };

const refused = (reason: string): Prepared => ({ kind: "refused", reason });

/** The bot a task's messages come from: niji's buttons and pop-ups are answered as niji. */
export function applicationOf(botType: BotType): string {
  return botType === "NIJI_JOURNEY" ? NIJI_APPLICATION_ID : MIDJOURNEY_APPLICATION_ID;
}

/** The button a task clicks: its own custom id, or the seed API's U/V/R built from the parent's hash. */
export function customIdOf(record: TaskRecord, parent: TaskRecord | null): string | null {
  if (record.params.customId) return record.params.customId;
  if (!parent?.hash) return null;
  const index = (record.index ?? 1) as GridIndex;
  switch (record.action) {
    case "UPSCALE":
      return upsampleCustomId(index, parent.hash);
    case "VARIATION":
      return variationCustomId(index, parent.hash);
    case "REROLL":
      return rerollCustomId(parent.hash);
    default:
      return null;
  }
}

/**
 * Everything a task needs before its interaction can be sent (uploads included), and how to build
 * the interaction body for a given session and nonce; or why it cannot be sent.
 */
export async function prepareInteraction(
  record: TaskRecord,
  parent: TaskRecord | null,
  ctx: SendContext,
): Promise<Prepared> {
  const customId = record.parentId ? customIdOf(record, parent) : null;
  if (record.parentId) {
    if (!customId || !parent?.discord.messageId)
      return refused("the parent task's result message is no longer known");
    const messageId = parent.discord.messageId;
    const messageFlags = parent.discord.messageFlags ?? 0;
    const plan = planButton(customId, parent.action);
    const applicationId = applicationOf(parent.botType);
    return {
      kind: "interaction",
      commandName: null,
      endsOnAccept: plan?.bookmark ?? false,
      build: async (base) => buttonInteraction({ ...base, messageId, messageFlags, customId, applicationId }),
    };
  }
  const botType = record.botType;
  const command = (name: CommandName) => ctx.command(name, botType);
  switch (record.action) {
    case "IMAGINE": {
      const prompt = await withReferenceImages(record, ctx);
      return {
        kind: "interaction",
        commandName: "imagine",
        endsOnAccept: false,
        build: async (base) => imagineInteraction({ ...base, prompt, command: await command("imagine") }),
      };
    }
    case "SHORTEN": {
      const prompt = record.promptEn ?? record.prompt ?? "";
      return {
        kind: "interaction",
        commandName: "shorten",
        endsOnAccept: false,
        build: async (base) => shortenInteraction({ ...base, prompt, command: await command("shorten") }),
      };
    }
    case "DESCRIBE": {
      const link = record.params.link;
      const images = link ? [] : await inputImages(record, ctx);
      if (!link && images.length === 0) return refused("the image to describe is no longer stored");
      const attachment = link
        ? undefined
        : (await uploadImages(ctx.rest, ctx.channelId, images.slice(0, 1)))[0];
      return {
        kind: "interaction",
        commandName: "describe",
        endsOnAccept: false,
        build: async (base) =>
          describeInteraction({
            ...base,
            command: await command("describe"),
            ...(attachment ? { attachment } : {}),
            ...(link ? { link } : {}),
          }),
      };
    }
    case "BLEND": {
      const images = await inputImages(record, ctx);
      if (images.length < 2) return refused("the images to blend are no longer stored");
      const attachments = await uploadImages(ctx.rest, ctx.channelId, images);
      const dimensions = record.params.dimensions ?? "SQUARE";
      return {
        kind: "interaction",
        commandName: "blend",
        endsOnAccept: false,
        build: async (base) =>
          blendInteraction({ ...base, command: await command("blend"), attachments, dimensions }),
      };
    }
    default:
      return refused(`${record.action} needs a parent task`);
  }
}

/** Uploads an /imagine's reference images once and puts their URLs before the prompt (as Midjourney reads them). */
async function withReferenceImages(record: TaskRecord, ctx: SendContext): Promise<string> {
  const prompt = record.promptEn ?? record.prompt ?? "";
  if (record.params.imageCount === 0) return prompt;
  const images = await inputImages(record, ctx);
  // Gone: a previous run already put their URLs into promptEn.
  if (images.length === 0) return prompt;
  const uploaded = await uploadImages(ctx.rest, ctx.channelId, images);
  const urls = await publicUrls(ctx.rest, ctx.channelId, imageMessageBody(uploaded));
  const withUrls = `${urls.join(" ")} ${prompt}`;
  await ctx.savePromptEn(withUrls);
  await dropTaskImages(ctx.redis, ctx.keys, record._id);
  return withUrls;
}

/** The task's stored images, the Vary Region mask excluded. */
export async function inputImages(
  record: TaskRecord,
  ctx: Pick<SendContext, "redis" | "keys">,
): Promise<InputImage[]> {
  const stored = await taskImages(ctx.redis, ctx.keys, record._id);
  const images = record.params.hasMask ? stored.slice(0, -1) : stored;
  return images.flatMap((dataUrl, i) => {
    const image = decodeDataUrl(dataUrl, `${record._id}-${i}`);
    return image ? [image] : [];
  });
}

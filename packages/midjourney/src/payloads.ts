import type { ApplicationCommand } from "./commands.js";
import { MIDJOURNEY_APPLICATION_ID } from "./commands.js";

// Bodies for POST /api/v9/interactions, as the Discord web client sends them (discord-protocol.md §1.2, §1.3).

export interface ImagineInteractionParams {
  guildId: string;
  channelId: string;
  sessionId: string;
  nonce: string;
  prompt: string;
  command: ApplicationCommand;
}

/** Type 2 (APPLICATION_COMMAND) body for /imagine, in the web client's full shape (§1.2, ERT). */
export function imagineInteraction(p: ImagineInteractionParams): Record<string, unknown> {
  return commandInteraction(p, [{ type: 3, name: "prompt", value: p.prompt }]);
}

export interface ButtonInteractionParams {
  guildId: string;
  channelId: string;
  sessionId: string;
  nonce: string;
  /** The message carrying the button (the result grid), never the progress message (§1.3). */
  messageId: string;
  /** That message's `flags` (64 on ephemeral messages). */
  messageFlags: number;
  customId: string;
  /** The bot that posted the message: niji's buttons are clicked as niji. @defaultValue Midjourney */
  applicationId?: string;
}

/** Type 3 (MESSAGE_COMPONENT) body: a click on a button of a Midjourney message (§1.3). */
export function buttonInteraction(p: ButtonInteractionParams): Record<string, unknown> {
  return {
    type: 3,
    guild_id: p.guildId,
    channel_id: p.channelId,
    message_id: p.messageId,
    application_id: p.applicationId ?? MIDJOURNEY_APPLICATION_ID,
    session_id: p.sessionId,
    nonce: p.nonce,
    message_flags: p.messageFlags,
    data: { component_type: 2, custom_id: p.customId },
  };
}

export type GridIndex = 1 | 2 | 3 | 4;

/** U1-U4 on a grid (§2). */
export function upsampleCustomId(index: GridIndex, jobHash: string): string {
  return `MJ::JOB::upsample::${index}::${jobHash}`;
}

/** V1-V4 on a grid (§2). */
export function variationCustomId(index: GridIndex, jobHash: string): string {
  return `MJ::JOB::variation::${index}::${jobHash}`;
}

/** 🔄 on a grid (§2). */
export function rerollCustomId(jobHash: string): string {
  return `MJ::JOB::reroll::0::${jobHash}::SOLO`;
}

// ---- pop-ups, uploads and the other commands (§1.2, §1.4, §1.5) ----

/** Fields every interaction body carries. */
export interface InteractionBase {
  guildId: string;
  channelId: string;
  sessionId: string;
  nonce: string;
}

export interface ModalSubmitParams extends InteractionBase {
  /** The bot that opened the pop-up; Midjourney's by default. */
  applicationId?: string;
  /** The INTERACTION_MODAL_CREATE's `d.id`. */
  interactionId: string;
  modalCustomId: string;
  fieldCustomId: string;
  value: string;
}

/** Type 5 (MODAL_SUBMIT): the pop-up's one text field filled in (§1.4). */
export function modalSubmitInteraction(p: ModalSubmitParams): Record<string, unknown> {
  return {
    type: 5,
    application_id: p.applicationId ?? MIDJOURNEY_APPLICATION_ID,
    channel_id: p.channelId,
    guild_id: p.guildId,
    session_id: p.sessionId,
    nonce: p.nonce,
    data: {
      id: p.interactionId,
      custom_id: p.modalCustomId,
      components: [{ type: 1, components: [{ type: 4, custom_id: p.fieldCustomId, value: p.value }] }],
    },
  };
}

/** POST /channels/{id}/attachments: one upload slot per file, ids "0", "1", … (§1.5 step 1). */
export function attachmentSlotsBody(files: Array<{ filename: string; size: number }>): {
  files: Array<{ filename: string; file_size: number; id: string }>;
} {
  return { files: files.map((f, i) => ({ filename: f.filename, file_size: f.size, id: String(i) })) };
}

/** A file put to its upload URL: `id` is its slot ("0", "1", …), `uploadedFilename` the slot's upload_filename. */
export interface UploadedAttachment {
  id: string;
  filename: string;
  uploadedFilename: string;
}

const attachmentRefs = (attachments: UploadedAttachment[]) =>
  attachments.map((a) => ({ id: a.id, filename: a.filename, uploaded_filename: a.uploadedFilename }));

type Option = { type: number; name: string; value: string | number };

/** A type-2 command body in the web client's full shape (§1.2). */
function commandInteraction(
  p: InteractionBase & { command: ApplicationCommand },
  options: Option[],
  attachments: UploadedAttachment[] = [],
): Record<string, unknown> {
  return {
    type: 2,
    guild_id: p.guildId,
    channel_id: p.channelId,
    application_id: p.command.application_id,
    session_id: p.sessionId,
    nonce: p.nonce,
    data: {
      version: p.command.version,
      id: p.command.id,
      name: p.command.name,
      type: 1,
      options,
      application_command: p.command.raw,
      attachments: attachmentRefs(attachments),
    },
  };
}

export interface DescribeInteractionParams extends InteractionBase {
  command: ApplicationCommand;
  /** An uploaded image; else `link`. */
  attachment?: UploadedAttachment;
  link?: string;
}

/** /describe with an uploaded image (option `image` = attachment 0) or a link (§1.2). */
export function describeInteraction(p: DescribeInteractionParams): Record<string, unknown> {
  if (p.attachment) {
    return commandInteraction(p, [{ type: 11, name: "image", value: 0 }], [{ ...p.attachment, id: "0" }]);
  }
  return commandInteraction(p, [{ type: 3, name: "link", value: p.link ?? "" }]);
}

export type BlendDimensions = "PORTRAIT" | "SQUARE" | "LANDSCAPE";

const DIMENSIONS: Record<BlendDimensions, string> = {
  PORTRAIT: "--ar 2:3",
  SQUARE: "--ar 1:1",
  LANDSCAPE: "--ar 3:2",
};

export interface BlendInteractionParams extends InteractionBase {
  command: ApplicationCommand;
  /** 2–5 uploaded images, in order. */
  attachments: UploadedAttachment[];
  dimensions: BlendDimensions;
}

/** /blend: options image1..imageN = attachment i, then the dimensions (§1.2). */
export function blendInteraction(p: BlendInteractionParams): Record<string, unknown> {
  const attachments = p.attachments.map((a, i) => ({ ...a, id: String(i) }));
  const options: Option[] = attachments.map((_, i) => ({ type: 11, name: `image${i + 1}`, value: i }));
  options.push({ type: 3, name: "dimensions", value: DIMENSIONS[p.dimensions] });
  return commandInteraction(p, options, attachments);
}

/** /shorten prompt:… (§1.2). */
export function shortenInteraction(
  p: InteractionBase & { command: ApplicationCommand; prompt: string },
): Record<string, unknown> {
  return commandInteraction(p, [{ type: 3, name: "prompt", value: p.prompt }]);
}

/** /show job_id:<hash>, whose answer is reacted to with ✉️ to get the seed by DM (discord-protocol.md §4.5). */
export function showInteraction(
  p: InteractionBase & { command: ApplicationCommand; jobId: string },
): Record<string, unknown> {
  return commandInteraction(p, [{ type: 3, name: "job_id", value: p.jobId }]);
}

/** POST /channels/{id}/messages posting uploaded images, to read their CDN URLs from the answer (§1.5). */
export function imageMessageBody(attachments: UploadedAttachment[], content = ""): Record<string, unknown> {
  return { content, type: 0, sticker_ids: [], attachments: attachmentRefs(attachments) };
}

export interface InpaintJobParams {
  /** The INTERACTION_IFRAME_MODAL_CREATE's `custom_id`, "MJ::iframe::<token>". */
  iframeCustomId: string;
  /** PNG, base64 without a `data:` prefix. */
  mask: string;
  prompt: string;
}

/** Vary (Region): the body POSTed to the inpaint iframe's submit-job endpoint instead of a modal submit (§1.4). */
export function inpaintJobBody(p: InpaintJobParams): Record<string, unknown> {
  return {
    customId: p.iframeCustomId.replace(/^MJ::iframe::/, ""),
    mask: p.mask.replace(/^data:[^,]*,/, ""),
    prompt: p.prompt,
    userId: "0",
    username: "0",
    full_prompt: null,
  };
}

/** Where the Vary (Region) mask goes (§1.4). */
export const INPAINT_SUBMIT_URL = `https://${MIDJOURNEY_APPLICATION_ID}.discordsays.com/inpaint/api/submit-job`;

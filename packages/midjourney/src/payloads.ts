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
      options: [{ type: 3, name: "prompt", value: p.prompt }],
      application_command: p.command.raw,
      attachments: [],
    },
  };
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
}

/** Type 3 (MESSAGE_COMPONENT) body: a click on a button of a Midjourney message (§1.3). */
export function buttonInteraction(p: ButtonInteractionParams): Record<string, unknown> {
  return {
    type: 3,
    guild_id: p.guildId,
    channel_id: p.channelId,
    message_id: p.messageId,
    application_id: MIDJOURNEY_APPLICATION_ID,
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

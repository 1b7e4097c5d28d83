import { type BotApp, botAuthor, IMAGINE_COMMAND_ID, memberObject, userObject } from "./discord-objects.js";
import { type UpscaleFamily, upscaleKinds } from "./models.js";
import { discordTimestamp } from "./snowflake.js";

/** A message as the gateway delivers it (guild fields included); REST strips those (see toRestMessage). */
export interface Message {
  id: string;
  type: number;
  channel_id: string;
  guild_id?: string;
  content: string;
  flags: number;
  components: ActionRow[];
  attachments: Attachment[];
  embeds: Embed[];
  edited_timestamp: string | null;
  nonce?: string;
  message_reference?: { message_id: string; channel_id: string; guild_id?: string };
  referenced_message?: Message | null;
  [key: string]: unknown;
}

export interface Button {
  type: 2;
  style: number;
  label?: string;
  emoji?: { name: string };
  custom_id?: string;
  url?: string;
}
export interface ActionRow {
  type: 1;
  components: Button[];
}

export interface Attachment {
  id: string;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  width: number;
  height: number;
  content_type: string;
}

export interface Embed {
  type: "rich";
  title?: string;
  description?: string;
  color?: number;
  footer?: { text: string };
  image?: { url: string; proxy_url: string; width: number; height: number };
  content_scan_version: 0;
}

/** Who the message is about: the account's Discord user, in its guild channel or its DM with the bot. */
export interface MessageContext {
  channelId: string;
  /** null in the DM channel with the bot (no guild_id, no member). */
  guildId: string | null;
  user: { id: string; username: string; discriminator: string };
  joinedAt: string;
  botRoleId: string;
}

export interface MessageInit {
  id: string;
  type: 0 | 19 | 20;
  content: string;
  ephemeral?: boolean;
  /** Interaction responses are sent through the application's webhook (gw-03, gw-10). */
  webhook?: boolean;
  interactionId?: string;
  commandName?: string;
  nonce?: string;
  components?: ActionRow[];
  attachments?: Attachment[];
  embeds?: Embed[];
  reference?: Message;
  /** Whether to embed the referenced message (final replies do; ephemeral waiting messages do not). */
  embedReference?: boolean;
  /** Final imagine grids carry `referenced_message: null` (gw-07). */
  nullReference?: boolean;
  /** The Midjourney bot or the niji bot. @defaultValue "mj" */
  app?: BotApp;
}

export function buildMessage(ctx: MessageContext, init: MessageInit): Message {
  const inGuild = !init.ephemeral && ctx.guildId !== null;
  const author = botAuthor(init.app ?? "mj");
  const mention = inGuild
    ? { ...userObject(ctx.user), member: memberObject(ctx.joinedAt) }
    : userObject(ctx.user);
  const msg: Message = {
    id: init.id,
    type: init.type,
    tts: false,
    timestamp: discordTimestamp(),
    pinned: false,
    mentions: [mention],
    mention_roles: [],
    mention_everyone: false,
    flags: init.ephemeral ? 64 : 0,
    embeds: init.embeds ?? [],
    edited_timestamp: null,
    content: init.content,
    components: init.components ?? [],
    channel_id: ctx.channelId,
    author,
    attachments: init.attachments ?? [],
  };
  if (inGuild && ctx.guildId) {
    msg.member = memberObject(ctx.joinedAt, [ctx.botRoleId]);
    msg.guild_id = ctx.guildId;
  }
  if (init.webhook) {
    msg.webhook_id = author.id;
    msg.application_id = author.id;
  }
  if (init.interactionId && init.commandName) {
    const user = userObject(ctx.user);
    msg.interaction = {
      user,
      type: 2,
      name: init.commandName,
      ...(inGuild ? { member: memberObject(ctx.joinedAt) } : {}),
      id: init.interactionId,
    };
    // 2024+ messages also carry interaction_metadata (discord-protocol.md §4.1 step 3).
    msg.interaction_metadata = {
      id: init.interactionId,
      type: 2,
      user,
      authorizing_integration_owners: { "1": ctx.user.id },
      name: init.commandName,
      command_type: 1,
    };
  }
  if (init.nonce !== undefined) msg.nonce = init.nonce;
  if (init.reference) {
    msg.message_reference = {
      message_id: init.reference.id,
      ...(ctx.guildId ? { guild_id: ctx.guildId } : {}),
      channel_id: ctx.channelId,
    };
    if (init.embedReference) msg.referenced_message = toRestMessage(init.reference);
  } else if (init.nullReference) {
    msg.referenced_message = null;
  }
  return msg;
}

/** REST message objects have no guild_id/member (those are gateway extras, discord-protocol.md §3.7). */
export function toRestMessage(msg: Message): Message {
  const { guild_id: _g, member: _m, ...rest } = msg;
  const mentions = (msg.mentions as Array<Record<string, unknown>>).map(({ member: _mm, ...u }) => u);
  return { ...rest, mentions } as Message;
}

const button = (custom_id: string, label?: string, emoji?: string, style = 2): Button => ({
  type: 2,
  style,
  ...(label ? { label } : {}),
  ...(emoji ? { emoji: { name: emoji } } : {}),
  custom_id,
});

/** U1-U4 + 🔄, V1-V4 on a finished grid (fixture gw-07). */
export function gridButtons(hash: string): ActionRow[] {
  return [
    {
      type: 1,
      components: [
        ...[1, 2, 3, 4].map((i) => button(`MJ::JOB::upsample::${i}::${hash}`, `U${i}`)),
        button(`MJ::JOB::reroll::0::${hash}::SOLO`, undefined, "🔄"),
      ],
    },
    { type: 1, components: [1, 2, 3, 4].map((i) => button(`MJ::JOB::variation::${i}::${hash}`, `V${i}`)) },
  ];
}

/** The button set under an upscaled image; the first row depends on the model (discord-protocol.md §2). */
export function upscaleButtons(hash: string, family: UpscaleFamily): ActionRow[] {
  return [
    {
      type: 1,
      components: upscaleKinds(family).map((u) =>
        button(`MJ::JOB::${u.kind}::1::${hash}::SOLO`, u.label, "upscale_1"),
      ),
    },
    {
      type: 1,
      components: [
        button(`MJ::JOB::high_variation::1::${hash}::SOLO`, "Vary (Strong)", "🪄"),
        button(`MJ::JOB::low_variation::1::${hash}::SOLO`, "Vary (Subtle)", "🪄"),
        button(`MJ::Inpaint::1::${hash}::SOLO`, "Vary (Region)", "🖌️"),
      ],
    },
    {
      type: 1,
      components: [
        button(`MJ::Outpaint::50::1::${hash}::SOLO`, "Zoom Out 2x", "🔍"),
        button(`MJ::Outpaint::75::1::${hash}::SOLO`, "Zoom Out 1.5x", "🔍"),
        button(`MJ::CustomZoom::${hash}`, "Custom Zoom", "🔍"),
      ],
    },
    {
      type: 1,
      components: [
        button(`MJ::JOB::pan_left::1::${hash}::SOLO`, undefined, "⬅️"),
        button(`MJ::JOB::pan_right::1::${hash}::SOLO`, undefined, "➡️"),
        button(`MJ::JOB::pan_up::1::${hash}::SOLO`, undefined, "⬆️"),
        button(`MJ::JOB::pan_down::1::${hash}::SOLO`, undefined, "⬇️"),
      ],
    },
    {
      type: 1,
      components: [
        button(`MJ::BOOKMARK::${hash}`, undefined, "❤️"),
        { type: 2, style: 5, label: "Web", url: `https://www.midjourney.com/app/jobs/${hash}/` },
      ],
    },
  ];
}

export function cancelJobButtons(hash: string): ActionRow[] {
  return [{ type: 1, components: [button(`MJ::CancelJob::ByJobid::${hash}`, "Cancel Job", undefined, 4)] }];
}

/** Error / notice embed (discord-protocol.md §4.6). */
export function embed(title: string, description: string, color: number, prompt: string): Embed {
  return {
    type: "rich",
    title,
    description,
    color,
    footer: { text: `/imagine ${prompt}` },
    content_scan_version: 0,
  };
}

/** The describe result's buttons: 1️⃣-4️⃣, retry, imagine all (discord-protocol.md §2). */
export function describeButtons(): ActionRow[] {
  return [
    {
      type: 1,
      components: [1, 2, 3, 4].map((n) => button(`MJ::Job::PicReader::${n}`, String(n), undefined, 2)),
    },
    {
      type: 1,
      components: [
        button("MJ::Picread::Retry", undefined, "🔄"),
        button("MJ::Job::PicReader::all", "Imagine all", "🎉"),
      ],
    },
  ];
}

/** The shorten result's buttons: one per shortened prompt (discord-protocol.md §2). */
export function shortenButtons(): ActionRow[] {
  return [
    {
      type: 1,
      components: [1, 2, 3, 4, 5].map((n) => button(`MJ::Job::PromptAnalyzer::${n}`, String(n))),
    },
  ];
}

export const COLOR_ERROR = 16711680;
export const COLOR_WARNING = 16776960;

export function findButton(msg: Message, customId: string): Button | undefined {
  for (const row of msg.components) {
    for (const b of row.components) if (b.custom_id === customId) return b;
  }
  return undefined;
}

export { IMAGINE_COMMAND_ID };

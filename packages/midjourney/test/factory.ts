import { MIDJOURNEY_APPLICATION_ID } from "../src/index.js";

// Midjourney bot messages in the shape of discord-protocol.md §4.4, for scenarios no capture shows.

export const CHANNEL = "1127614059894820930";
export const GUILD = "1127614059156602984";
export const USER = "1127612768489578560";

const AUTHOR = {
  id: MIDJOURNEY_APPLICATION_ID,
  username: "Midjourney Bot",
  discriminator: "9282",
  bot: true,
  global_name: null,
};

export interface BotMessage {
  id: string;
  content?: string;
  nonce?: string;
  type?: number;
  flags?: number;
  interactionId?: string;
  /** message_reference.message_id: the clicked message for button jobs. */
  ref?: string;
  imageUrl?: string;
  jobHash?: string;
  embeds?: Array<Record<string, unknown>>;
  channelId?: string;
  authorId?: string;
  userId?: string;
  /** The slash command the message answers (`interaction.name`); "imagine" by default. */
  commandName?: string;
  /** Action rows; by default a grid's U/V/🔄 when `jobHash` is set. */
  components?: unknown[];
}

export function botMessage(m: BotMessage): Record<string, unknown> {
  const userId = m.userId ?? USER;
  return {
    id: m.id,
    type: m.type ?? (m.ref ? 19 : 0),
    channel_id: m.channelId ?? CHANNEL,
    guild_id: GUILD,
    author: { ...AUTHOR, id: m.authorId ?? AUTHOR.id },
    content: m.content ?? "",
    flags: m.flags ?? 0,
    tts: false,
    pinned: false,
    mentions: [{ id: userId, username: "someone" }],
    mention_roles: [],
    mention_everyone: false,
    timestamp: "2025-01-01T00:00:00.000000+00:00",
    edited_timestamp: null,
    embeds: m.embeds ?? [],
    attachments: m.imageUrl
      ? [
          {
            id: "1",
            filename: m.imageUrl.split("/").pop()!.split("?")[0],
            url: m.imageUrl,
            width: 1024,
            height: 1024,
          },
        ]
      : [],
    components: m.components ?? (m.jobHash ? gridButtons(m.jobHash) : []),
    ...(m.nonce ? { nonce: m.nonce } : {}),
    ...(m.interactionId
      ? {
          interaction_metadata: {
            id: m.interactionId,
            type: 2,
            user: { id: userId },
            name: m.commandName ?? "imagine",
          },
          interaction: {
            id: m.interactionId,
            type: 2,
            name: m.commandName ?? "imagine",
            user: { id: userId },
          },
        }
      : {}),
    ...(m.ref ? { message_reference: { message_id: m.ref, channel_id: CHANNEL, guild_id: GUILD } } : {}),
  };
}

export function gridButtons(hash: string): unknown[] {
  const row = (kind: string) =>
    [1, 2, 3, 4].map((i) => ({
      type: 2,
      style: 2,
      label: `${kind[0]!.toUpperCase()}${i}`,
      custom_id: `MJ::JOB::${kind}::${i}::${hash}`,
    }));
  return [
    {
      type: 1,
      components: [
        ...row("upsample"),
        { type: 2, style: 2, emoji: { name: "🔄" }, custom_id: `MJ::JOB::reroll::0::${hash}::SOLO` },
      ],
    },
    { type: 1, components: row("variation") },
  ];
}

export function cdn(name: string): string {
  return `https://cdn.discordapp.com/attachments/${CHANNEL}/1/${name}`;
}

const button = (custom_id: string, label?: string, emoji?: string) => ({
  type: 2,
  style: 2,
  ...(label ? { label } : {}),
  ...(emoji ? { emoji: { name: emoji } } : {}),
  custom_id,
});

/** The buttons under an upscaled image (discord-protocol.md §2). */
export function upscaleButtons(hash: string): unknown[] {
  return [
    {
      type: 1,
      components: [
        button(`MJ::JOB::upsample_v6_2x_subtle::1::${hash}::SOLO`, "Upscale (Subtle)", "upscale_1"),
        button(`MJ::JOB::upsample_v6_2x_creative::1::${hash}::SOLO`, "Upscale (Creative)", "upscale_1"),
      ],
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
        button(`MJ::CustomZoom::${hash}`, "Custom Zoom", "🔍"),
        button(`MJ::JOB::pan_left::1::${hash}::SOLO`, undefined, "⬅️"),
        button(`MJ::JOB::pan_right::1::${hash}::SOLO`, undefined, "➡️"),
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

/** /describe's answer buttons: 1️⃣-4️⃣, 🔄, 🎉 Imagine all (discord-protocol.md §4.5). */
export function describeButtons(): unknown[] {
  return [
    {
      type: 1,
      components: [1, 2, 3, 4].map((n) => button(`MJ::Job::PicReader::${n}`, undefined, `${n}\uFE0F\u20E3`)),
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

/** /shorten's answer buttons: one per shortened prompt. */
export function shortenButtons(): unknown[] {
  return [
    { type: 1, components: [1, 2, 3, 4, 5].map((n) => button(`MJ::Job::PromptAnalyzer::${n}`, String(n))) },
  ];
}

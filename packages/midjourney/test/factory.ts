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
    components: m.jobHash ? gridButtons(m.jobHash) : [],
    ...(m.nonce ? { nonce: m.nonce } : {}),
    ...(m.interactionId
      ? {
          interaction_metadata: { id: m.interactionId, type: 2, user: { id: userId } },
          interaction: { id: m.interactionId, type: 2, name: "imagine", user: { id: userId } },
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

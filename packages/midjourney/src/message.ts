import { z } from "zod";
import { parseContent } from "./content.js";

// The parts of a Discord message object we read (discord-protocol.md §4.4); unknown keys pass through.

const Snowflake = z.union([z.string(), z.number()]).transform(String);

/** An array that may be missing or null: read as empty. */
const listOf = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((list) => list ?? []);

const UserRef = z.looseObject({ id: Snowflake, bot: z.boolean().optional() });

export const AttachmentSchema = z.looseObject({
  id: Snowflake.optional(),
  filename: z.string().default(""),
  url: z.string().default(""),
  proxy_url: z.string().optional(),
  width: z.number().nullish(),
  height: z.number().nullish(),
  content_type: z.string().optional(),
});

export const EmbedSchema = z.looseObject({
  title: z.string().optional(),
  description: z.string().optional(),
  color: z.number().optional(),
  footer: z.looseObject({ text: z.string().optional() }).nullish(),
  // /describe answers show the described picture here (§4.5).
  image: z.looseObject({ url: z.string().optional() }).nullish(),
});

export const DiscordMessageSchema = z.looseObject({
  id: Snowflake,
  channel_id: Snowflake,
  type: z.number().optional(),
  content: z
    .string()
    .nullish()
    .transform((c) => c ?? ""),
  // Partial MESSAGE_UPDATEs may omit the author.
  author: UserRef.optional(),
  flags: z.number().nullish(),
  // Discord echoes the request nonce as a string or an integer (§1.1).
  nonce: Snowflake.nullish(),
  attachments: listOf(AttachmentSchema),
  embeds: listOf(EmbedSchema),
  components: listOf(z.unknown()),
  mentions: listOf(UserRef),
  interaction: z
    .looseObject({ id: Snowflake, name: z.string().optional(), user: UserRef.optional() })
    .nullish(),
  interaction_metadata: z
    .looseObject({ id: Snowflake, name: z.string().optional(), user: UserRef.optional() })
    .nullish(),
  message_reference: z.looseObject({ message_id: Snowflake.optional() }).nullish(),
  webhook_id: Snowflake.nullish(),
  application_id: Snowflake.nullish(),
  guild_id: Snowflake.nullish(),
});
export type DiscordMessage = z.infer<typeof DiscordMessageSchema>;
export type DiscordEmbed = z.infer<typeof EmbedSchema>;

/** Parses a message leniently; null when it lacks even an id and a channel. */
export function parseMessage(raw: unknown): DiscordMessage | null {
  const parsed = DiscordMessageSchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** Every button custom_id in a message's action rows. */
export function customIdsOf(message: Pick<DiscordMessage, "components">): string[] {
  const ids: string[] = [];
  const walk = (node: unknown): void => {
    if (node === null || typeof node !== "object") return;
    const record = node as { custom_id?: unknown; components?: unknown };
    if (typeof record.custom_id === "string") ids.push(record.custom_id);
    if (Array.isArray(record.components)) for (const child of record.components) walk(child);
  };
  for (const row of message.components) walk(row);
  return ids;
}

/**
 * The Midjourney job id: from a button custom_id first (most robust), then from the first
 * attachment's filename or URL (§4.3 item 5).
 */
export function jobHashOf(message: Pick<DiscordMessage, "components" | "attachments">): string | null {
  for (const customId of customIdsOf(message)) {
    if (!customId.startsWith("MJ::")) continue;
    const match = UUID.exec(customId);
    if (match) return match[0].toLowerCase();
  }
  for (const attachment of message.attachments) {
    const hash = jobHashOfUrl(attachment.filename) ?? jobHashOfUrl(attachment.url);
    if (hash) return hash;
  }
  return null;
}

const UUID_ALL = new RegExp(UUID.source, "gi");

/**
 * The job id in an image URL or filename (§4.3 item 5): signed `?ex=…&is=…&hm=…` and fragments
 * stripped, then the last UUID of the path, which covers `<user>_<prompt>_<uuid>.png`,
 * `<uuid>_grid_0.webp`, `<uuid>_0_0.png`, `cdn.midjourney.com/<uuid>/0_0.png` and step previews.
 */
export function jobHashOfUrl(url: string): string | null {
  const path = url.split(/[?#]/)[0]!;
  const matches = path.match(UUID_ALL);
  return matches ? matches[matches.length - 1]!.toLowerCase() : null;
}

/** The DM Midjourney sends after a ✉️ reaction to a /show answer: `**Job ID**: <uuid>\n**seed** <n>` (discord-protocol.md §4.5). */
export function parseSeedMessage(content: string): { jobId: string; seed: string } | null {
  const job = /\*\*Job ID\*\*:?\s*([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/i.exec(
    content,
  );
  const seed = /\*\*seed\*\*:?\s*(\d+)/i.exec(content);
  if (!job || !seed) return null;
  return { jobId: job[1]!.toLowerCase(), seed: seed[1]! };
}

/** The Discord user a Midjourney message is about: interaction user, then the content mention. */
export function messageUserId(message: DiscordMessage): string | null {
  return (
    message.interaction?.user?.id ??
    message.interaction_metadata?.user?.id ??
    // The mention after the prompt: a prompt may itself contain "<@…>".
    parseContent(message.content).userId ??
    message.mentions[0]?.id ??
    null
  );
}

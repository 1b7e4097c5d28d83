export {
  type ApplicationCommand,
  DEFAULT_IMAGINE_COMMAND,
  findCommand,
  MIDJOURNEY_APPLICATION_ID,
} from "./commands.js";
export {
  type ContentKind,
  normalizePrompt,
  type ParsedContent,
  parseContent,
  promptMatches,
  type Stage,
} from "./content.js";
export { Correlator, type CorrelatorOptions } from "./correlator.js";
export { classifyEmbed, type EmbedClass, type EmbedSeverity } from "./embeds.js";
export type { CorrelationEffect, SuccessResult, TaskAction, TrackedJob } from "./jobs.js";
export {
  customIdsOf,
  type DiscordEmbed,
  type DiscordMessage,
  DiscordMessageSchema,
  jobHashOf,
  messageUserId,
  parseMessage,
} from "./message.js";
export {
  type ButtonInteractionParams,
  buttonInteraction,
  type GridIndex,
  type ImagineInteractionParams,
  imagineInteraction,
  rerollCustomId,
  upsampleCustomId,
  variationCustomId,
} from "./payloads.js";
export { DISCORD_EPOCH, nextSnowflake, snowflakeTime } from "./snowflake.js";

export {
  type ButtonFamily,
  type ButtonPlan,
  type ButtonView,
  buttonFamily,
  buttonsOf,
  fieldIdOf,
  type ModalIds,
  type ModalNeed,
  modalIdsFor,
  picReaderPrompts,
  planButton,
} from "./buttons.js";
export {
  type ApplicationCommand,
  COMMAND_NAMES,
  type CommandName,
  DEFAULT_IMAGINE_COMMAND,
  defaultCommand,
  findCommand,
  MIDJOURNEY_APPLICATION_ID,
  NIJI_APPLICATION_ID,
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
export { classifyEmbed, type EmbedClass, type EmbedKind, type EmbedSeverity } from "./embeds.js";
export type { CorrelationEffect, SuccessResult, TaskAction, TrackedJob } from "./jobs.js";
export {
  customIdsOf,
  type DiscordEmbed,
  type DiscordMessage,
  DiscordMessageSchema,
  jobHashOf,
  jobHashOfUrl,
  messageUserId,
  parseMessage,
  parseSeedMessage,
} from "./message.js";
export {
  attachmentSlotsBody,
  type BlendDimensions,
  type BlendInteractionParams,
  type ButtonInteractionParams,
  blendInteraction,
  buttonInteraction,
  type DescribeInteractionParams,
  describeInteraction,
  type GridIndex,
  type ImagineInteractionParams,
  INPAINT_SUBMIT_URL,
  type InpaintJobParams,
  type InteractionBase,
  imageMessageBody,
  imagineInteraction,
  inpaintJobBody,
  type ModalSubmitParams,
  modalSubmitInteraction,
  rerollCustomId,
  shortenInteraction,
  showInteraction,
  type UploadedAttachment,
  upsampleCustomId,
  variationCustomId,
} from "./payloads.js";
export { DISCORD_EPOCH, nextSnowflake, snowflakeTime } from "./snowflake.js";

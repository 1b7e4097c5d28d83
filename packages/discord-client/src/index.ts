export {
  GatewayClient,
  type GatewayFatal,
  GatewayFatalError,
  type GatewayOptions,
  type GatewayReconnect,
  type GatewayState,
} from "./gateway.js";
export {
  closeAction,
  defaultInvalidSessionDelayMs,
  defaultReconnectDelayMs,
  isFatalCloseCode,
  isReplayedDispatch,
  resumeUrl,
} from "./gateway-rules.js";
export {
  DEFAULT_IDENTIFY_PROPERTIES,
  DEFAULT_USER_AGENT,
  identifyFrame,
  superProperties,
} from "./identify.js";
export { redactToken } from "./redact.js";
export {
  type AttachmentSlot,
  DiscordRest,
  DiscordRestError,
  type RestAnswer,
  type RestOptions,
} from "./rest.js";
export { classifyResponse, type InteractionResult } from "./rest-result.js";

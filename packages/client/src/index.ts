export { MjgClient, type MjSubmitBodies, SeedApi, type SeedPage, type SeedSubmitInput } from "./client.js";
export {
  type ApiDialect,
  MjgApiError,
  MjgError,
  MjgNetworkError,
  MjgProtocolError,
  MjgTimeoutError,
} from "./errors.js";
export { parseRetryAfter, type RetryListener, type RetryOptions } from "./http.js";
export { imageDataUrl, imageType } from "./images.js";
export { type SseEvent, SseParser } from "./sse.js";
export * from "./types.js";
export { taskChanged } from "./wait.js";

export { IDEMPOTENCY_FIELD, IDEMPOTENCY_HEADER } from "./fingerprint.js";
export { type IdempotencyHooks, idempotencyHooks, REPLAYED_HEADER } from "./hooks.js";
export { IdempotencyStore } from "./store.js";

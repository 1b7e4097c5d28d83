export { isPrivateAddress } from "./address.js";
export { ATTEMPTS_KEPT, type DeliveryAttempt, DeliveryAttemptSchema, readAttempts } from "./attempts.js";
export { TASK_EVENT_TYPES, type TaskEventType } from "./events.js";
export { checkNotifyHook, type HookCheck } from "./guard.js";
export { CallbackQueue } from "./queue.js";
export { type NotifySettings, notifyEnv, notifySettings } from "./settings.js";
export { signatureHeaders } from "./signature.js";
export {
  CallbackWorker,
  type CallbackWorkerOptions,
  type CallbackWorkerTuning,
  type DeliveryOutcome,
} from "./worker.js";

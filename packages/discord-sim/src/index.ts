export { IMAGINE_COMMAND_ID, MJ_APPLICATION_ID, NIJI_APPLICATION_ID } from "./discord-objects.js";
export { solidPng } from "./png.js";
export { createRng, type Rng } from "./rng.js";
export { startSimulator } from "./server.js";
export type {
  AccountRef,
  AccountStats,
  FailureKind,
  GatewayStats,
  InteractionRecord,
  LoggerLike,
  MaskInfo,
  RateLimitSpec,
  SimAccount,
  SimAccountOptions,
  SimControl,
  SimStats,
  Simulator,
  SimulatorOptions,
  UploadInfo,
} from "./types.js";
export { FAILURE_KINDS } from "./types.js";

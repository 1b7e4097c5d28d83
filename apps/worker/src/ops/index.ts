export { type OwnedRuntimes, WorkerMetrics } from "./metrics.js";
export {
  type OpsServer,
  type OpsServerOptions,
  type Readiness,
  startOpsServer,
  workerReadiness,
} from "./server.js";

import { collectDefaultMetrics, Registry } from "prom-client";

// Process metrics (CPU, heap, GC, event loop) belong to the process, not to one app: set up once.
let processRegistry: Registry | null = null;

/** The process-wide registry of default metrics, shared by every API or worker in this process. */
export function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export { loadAccounts } from "./accounts/config.js";
export { type WorkerEnv, workerEnv } from "./env.js";
export { simulatedAccounts, startSandbox } from "./sandbox.js";
export { serveWorker } from "./serve.js";
export { startWorker, type WorkerHandle, type WorkerOptions } from "./worker.js";

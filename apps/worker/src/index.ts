export { loadAccounts } from "./accounts/config.js";
export { workerEnv } from "./env.js";
export { startSandbox } from "./sandbox.js";
export { startWorker, type WorkerHandle, type WorkerOptions } from "./worker.js";

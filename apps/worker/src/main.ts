import { EnvError, loadEnvOrExit, onShutdown } from "@mjg/shared";
import { workerEnv } from "./env.js";
import { serveWorker } from "./serve.js";

const env = loadEnvOrExit(workerEnv);
try {
  const worker = await serveWorker(env);
  onShutdown(() => worker.close());
} catch (error) {
  if (!(error instanceof EnvError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

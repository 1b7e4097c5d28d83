// `pnpm start`: API and worker in one process; with no MJ_ACCOUNTS(_FILE), the simulator too (sandbox mode).
import { apiEnv, serveApi } from "@mjg/api";
import { createLogger, EnvError, loadEnvOrExit, onShutdown } from "@mjg/shared";
import { serveWorker, workerEnv } from "@mjg/worker";

const env = loadEnvOrExit({ ...workerEnv, ...apiEnv });
const logger = createLogger("mj-gateway", env.LOG_LEVEL);
try {
  const worker = await serveWorker(env, logger.child({ part: "worker" }));
  const api = await serveApi(env, logger.child({ part: "api" }));
  if (worker.sandbox) {
    logger.info(
      `sandbox mode: simulated Discord accounts; try  curl '${api.address.replace("0.0.0.0", "127.0.0.1")}/api/v1/trigger/submit?action=IMAGINE&prompt=a%20cat'`,
    );
  }
  onShutdown(async () => {
    await api.close();
    await worker.close();
  });
} catch (error) {
  if (!(error instanceof EnvError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

import { loadEnvOrExit, onShutdown } from "@mjg/shared";
import { apiEnv } from "./env.js";
import { serveApi } from "./serve.js";

const api = await serveApi(loadEnvOrExit(apiEnv));
onShutdown(() => api.close());

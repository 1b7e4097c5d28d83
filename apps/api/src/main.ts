import { loadEnvOrExit, onShutdown } from "@mjg/shared";
import { apiEnv } from "./env.js";
import { limitHeapGrowth } from "./heap.js";
import { serveApi } from "./serve.js";

limitHeapGrowth();
const api = await serveApi(loadEnvOrExit(apiEnv));
onShutdown(() => api.close());

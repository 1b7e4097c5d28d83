export { type Api, type ApiOptions, buildApi } from "./app.js";
export { type ApiEnv, apiEnv, isSandbox } from "./env.js";
export { limitHeapGrowth } from "./heap.js";
export { serveApi } from "./serve.js";

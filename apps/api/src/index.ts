export { type Api, type ApiOptions, buildApi } from "./app.js";
export { apiEnv, isSandbox } from "./env.js";

import type { FastifyInstance } from "fastify";
import type { MjDeps } from "../index.js";

/** `/mj/submit/*`: every route creates tasks through the shared submitter. */
export function mjSubmitRoutes(_app: FastifyInstance, _deps: MjDeps): void {}

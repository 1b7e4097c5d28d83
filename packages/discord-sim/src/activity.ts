import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AccountState, MidjourneyBot } from "./bot.js";
import { HttpError, parsePayload, readBody, sendJson } from "./http-util.js";
import { InpaintSubmitRequest } from "./schemas.js";
import type { MaskInfo } from "./types.js";
import { isDecodablePng } from "./uploads.js";

/** The Vary (Region) editor's API, served under /_activity (discord-protocol.md §1.4). */
export const ACTIVITY_PREFIX = "/_activity";

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function createActivity(deps: {
  bot: MidjourneyBot;
  stateOfToken: (token: string) => AccountState | undefined;
  masks: MaskInfo[];
}) {
  const refuse = (message: string) => new HttpError(400, { success: false, message });
  return async function handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    if (req.method !== "POST" || path !== `${ACTIVITY_PREFIX}/inpaint/api/submit-job`) return false;
    const parsed = InpaintSubmitRequest.safeParse(
      parsePayload(req.headers["content-type"], await readBody(req, 20 << 20)),
    );
    if (!parsed.success)
      throw refuse(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    const { customId, mask, prompt } = parsed.data;
    // The editor sends the token alone; tolerate the full iframe custom id too.
    const token = customId.replace(/^MJ::iframe::/, "");
    const state = deps.stateOfToken(token);
    if (!state) throw refuse("Unknown or expired customId");
    const bytes = BASE64.test(mask) ? Buffer.from(mask, "base64") : Buffer.alloc(0);
    if (!isDecodablePng(bytes)) throw refuse("mask is not a base64 PNG");
    deps.masks.push({
      accountId: state.account.id,
      prompt,
      size: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
    });
    if (deps.masks.length > 1_000) deps.masks.shift();
    deps.bot.submitInpaint(token, prompt);
    sendJson(res, 200, { success: true });
    return true;
  };
}

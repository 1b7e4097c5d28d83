import type { ServerResponse } from "node:http";
import type { z } from "zod";
import { HttpError, sendJson } from "./http-util.js";
import {
  AccountRequest,
  BannedWordsRequest,
  CloseRequest,
  FailNextRequest,
  FailureRateRequest,
  FinalWithNonceRequest,
  InvalidateRequest,
  RateLimitRequest,
  RemixRequest,
  StepDelayRequest,
} from "./schemas.js";
import type { FailureKind, MaskInfo, SimAccount, SimControl, SimStats, UploadInfo } from "./types.js";

/** The control surface over HTTP: the same operations as `Simulator.control`, JSON in and out. */
export function simRoutes(deps: {
  control: SimControl;
  stats: () => SimStats;
  /** The accounts with their current Remix mode. */
  accounts: () => readonly SimAccount[];
  urls: () => { apiUrl: string; gatewayUrl: string; activityUrl: string };
  uploads: () => UploadInfo[];
  masks: () => MaskInfo[];
}) {
  const { control } = deps;
  const parse = <S extends z.ZodType>(schema: S, v: unknown): z.infer<S> => {
    const r = schema.safeParse(v);
    if (!r.success) throw new HttpError(400, { message: r.error.message });
    return r.data;
  };
  const guard = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      throw new HttpError(400, { message: (err as Error).message });
    }
  };

  return async (
    path: string,
    method: string,
    body: () => Promise<unknown>,
    res: ServerResponse,
  ): Promise<boolean> => {
    const route = `${method} ${path.replace(/\/$/, "")}`;
    const ok = (result: Record<string, unknown> = {}) => sendJson(res, 200, { ok: true, ...result });
    switch (route) {
      case "GET /_sim/accounts": {
        // Tokens leave the process here on purpose: they are simulator tokens, for MJ_ACCOUNTS.
        const accounts = deps.accounts().map((a) => ({
          id: a.id,
          token: a.token,
          guildId: a.guildId,
          channelId: a.channelId,
          remix: a.remix,
        }));
        sendJson(res, 200, { ...deps.urls(), accounts });
        return true;
      }
      case "GET /_sim/uploads":
        sendJson(res, 200, { uploads: deps.uploads() });
        return true;
      case "GET /_sim/masks":
        sendJson(res, 200, { masks: deps.masks() });
        return true;
      case "POST /_sim/remix": {
        const r = parse(RemixRequest, await body());
        guard(() => control.setRemix(r.account, r.remix));
        ok();
        return true;
      }
      case "GET /_sim/stats":
        sendJson(res, 200, deps.stats());
        return true;
      case "POST /_sim/step-delay":
        control.setStepDelay(parse(StepDelayRequest, await body()).ms);
        ok();
        return true;
      case "POST /_sim/fail-next": {
        const r = parse(FailNextRequest, await body());
        guard(() => control.failNext(r.account, r.kind as FailureKind));
        ok();
        return true;
      }
      case "POST /_sim/rate-limit-next": {
        const r = parse(RateLimitRequest, await body());
        guard(() => control.rateLimitNext(r.target, { retryAfter: r.retryAfter, count: r.count }));
        ok();
        return true;
      }
      case "POST /_sim/reconnect":
      case "POST /_sim/drop-socket": {
        const r = parse(AccountRequest, await body());
        const sockets = guard(() =>
          route.endsWith("reconnect") ? control.reconnect(r.account) : control.dropSocket(r.account),
        );
        ok({ sockets });
        return true;
      }
      case "POST /_sim/invalidate-session": {
        const r = parse(InvalidateRequest, await body());
        ok({ sockets: guard(() => control.invalidateSession(r.account, r.resumable)) });
        return true;
      }
      case "POST /_sim/close-socket": {
        const r = parse(CloseRequest, await body());
        ok({ sockets: guard(() => control.closeSocket(r.account, r.code)) });
        return true;
      }
      case "POST /_sim/final-with-nonce":
        control.setFinalWithNonce(parse(FinalWithNonceRequest, await body()).value);
        ok();
        return true;
      case "POST /_sim/failure-rate":
        control.setFailureRate(parse(FailureRateRequest, await body()).rate);
        ok();
        return true;
      case "POST /_sim/banned-words":
        control.setBannedWords(parse(BannedWordsRequest, await body()).words);
        ok();
        return true;
      default:
        return false;
    }
  };
}

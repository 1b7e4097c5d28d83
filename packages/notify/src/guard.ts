import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP } from "node:net";
import { isPrivateAddress } from "./address.js";

/** Raised when a callback target is, or resolves to, an address callbacks may not reach. */
export class PrivateTargetError extends Error {
  override readonly name = "PrivateTargetError";
  readonly code = "ERR_NOTIFY_PRIVATE_TARGET";
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `net.connect` lookup that refuses private addresses: the check happens on the addresses the
 * socket will really use, so a name that resolves differently later (DNS rebinding) is caught too.
 */
export function guardedLookup(
  hostname: string,
  options: { family?: number | string; all?: boolean; hints?: number },
  callback: LookupCallback,
): void {
  const family = options.family === "IPv4" ? 4 : options.family === "IPv6" ? 6 : Number(options.family ?? 0);
  dnsLookup(hostname, { family, hints: options.hints, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const refused = addresses.find((entry) => isPrivateAddress(entry.address));
    if (refused) {
      return callback(
        new PrivateTargetError(`${hostname} resolves to private address ${refused.address}`),
        [],
      );
    }
    if (options.all) return callback(null, addresses);
    const first = addresses[0];
    if (!first)
      return callback(Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" }), []);
    callback(null, first.address, first.family);
  });
}

/** The host of a URL as `net` wants it: IPv6 literals without brackets. */
export function urlHost(url: URL): string {
  return url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
}

/** Literal IP hosts never reach the lookup, so they are checked here; null = fine. */
export function literalTargetProblem(url: URL): string | null {
  const host = urlHost(url);
  if (isIP(host) !== 0 && isPrivateAddress(host)) return `${url.hostname} is a private address`;
  return null;
}

export type HookCheck = { ok: true } | { ok: false; reason: "invalid" | "private"; message: string };

const CHECK_LOOKUP_TIMEOUT_MS = 2_000;

function resolveAll(hostname: string): Promise<string[]> {
  const resolved = new Promise<string[]>((resolve) => {
    dnsLookup(hostname, { all: true }, (error, addresses) =>
      resolve(error ? [] : addresses.map((entry) => entry.address)),
    );
  });
  // A slow resolver must not hold up a submit; delivery checks again at connect time.
  const timeout = new Promise<string[]>((resolve) =>
    setTimeout(() => resolve([]), CHECK_LOOKUP_TIMEOUT_MS).unref(),
  );
  return Promise.race([resolved, timeout]);
}

/**
 * Up-front check of a notifyHook for the submit endpoint: an http(s) URL, and unless private targets
 * are allowed, not a private literal IP nor a name that resolves to one. A name that does not resolve
 * now passes: the receiver may not exist yet, and every delivery is guarded again at connect time.
 */
export async function checkNotifyHook(url: string, allowPrivate: boolean): Promise<HookCheck> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: "invalid", message: "notifyHook is not a valid URL" };
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return { ok: false, reason: "invalid", message: "notifyHook must be an http or https URL" };
  }
  if (allowPrivate) return { ok: true };
  const literal = literalTargetProblem(parsed);
  if (literal) return { ok: false, reason: "private", message: `notifyHook refused: ${literal}` };
  if (isIP(urlHost(parsed)) !== 0) return { ok: true };
  const refused = (await resolveAll(parsed.hostname)).find(isPrivateAddress);
  if (refused) {
    return {
      ok: false,
      reason: "private",
      message: `notifyHook refused: ${parsed.hostname} resolves to private address ${refused}`,
    };
  }
  return { ok: true };
}

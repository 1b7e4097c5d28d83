// The user-client identify that working proxies send (discord-protocol.md §3.3, NZK createAuthData).

/** Browser User-Agent of the default identify (NZK `Constants.java`, discord-protocol.md §1.1). */
export const DEFAULT_USER_AGENT =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.0.0 Safari/537.36";

/** The `properties` object of a user identify; also the source of REST `X-Super-Properties` (§1.1). */
export const DEFAULT_IDENTIFY_PROPERTIES: Readonly<Record<string, unknown>> = Object.freeze({
  browser: "Chrome",
  browser_user_agent: DEFAULT_USER_AGENT,
  browser_version: "112.0.0.0",
  client_build_number: 222963,
  client_event_source: null,
  device: "",
  os: "Mac OS X",
  referer: "https://www.midjourney.com",
  referrer_current: "",
  referring_domain: "www.midjourney.com",
  referring_domain_current: "",
  release_channel: "stable",
  system_locale: "en-US",
});

/** Client capability bits of the web client (§3.3: 16381 = bits 0, 2–13). */
export const USER_CAPABILITIES = 16381;

/** Op 2 for a user token: no `intents` (those are for bots only, §3.3). */
export function identifyFrame(token: string, properties: object) {
  return {
    op: 2,
    d: {
      capabilities: USER_CAPABILITIES,
      client_state: {
        api_code_version: 0,
        guild_versions: {},
        highest_last_message_id: "0",
        private_channels_version: "0",
        read_state_version: 0,
        user_guild_settings_version: -1,
        user_settings_version: -1,
      },
      compress: false,
      presence: { activities: [], afk: false, since: 0, status: "online" },
      properties,
      token,
    },
  };
}

/** Op 6 (§3.2). */
export function resumeFrame(token: string, sessionId: string, seq: number | null) {
  return { op: 6, d: { token, session_id: sessionId, seq } };
}

/** Base64 JSON of the identify properties, as the web client sends in `X-Super-Properties` (§1.1). */
export function superProperties(properties: object): string {
  return Buffer.from(JSON.stringify(properties), "utf8").toString("base64");
}

/** Fixed Discord objects of the Midjourney bot and helpers for user/member objects (discord-protocol.md §4.4). */
export const MJ_APPLICATION_ID = "936929561302675456";
export const IMAGINE_COMMAND_ID = "938956540159881230";

export const MJ_BOT_AUTHOR = Object.freeze({
  username: "Midjourney Bot",
  public_flags: 589824,
  id: MJ_APPLICATION_ID,
  global_name: null,
  discriminator: "9282",
  bot: true,
  avatar_decoration: null,
  avatar: "f6ce562a6b4979c4b1cbc5b436d3be76",
});

/** The niji・journey application (discord-protocol.md §0); its bot user's details are the simulator's own. */
export const NIJI_APPLICATION_ID = "1022952195194359889";

export const NIJI_BOT_AUTHOR = Object.freeze({
  username: "niji・journey Bot",
  public_flags: 589824,
  id: NIJI_APPLICATION_ID,
  global_name: null,
  discriminator: "5206",
  bot: true,
  avatar_decoration: null,
  avatar: "8ccd8a3e6e6c1bd4a0ad1c7b3bcf2b23",
});

export type BotApp = "mj" | "niji";

export const botAuthor = (app: BotApp) => (app === "niji" ? NIJI_BOT_AUTHOR : MJ_BOT_AUTHOR);
export const appId = (app: BotApp) => (app === "niji" ? NIJI_APPLICATION_ID : MJ_APPLICATION_ID);

export interface SimUser {
  id: string;
  username: string;
  discriminator: string;
}

export function userObject(user: SimUser) {
  return {
    username: user.username,
    public_flags: 0,
    id: user.id,
    global_name: null,
    discriminator: user.discriminator,
    avatar_decoration: null,
    avatar: null,
  };
}

export function memberObject(joinedAt: string, roles: string[] = []) {
  return {
    roles,
    premium_since: null,
    pending: false,
    nick: null,
    mute: false,
    joined_at: joinedAt,
    flags: 0,
    deaf: false,
    communication_disabled_until: null,
    avatar: null,
  };
}

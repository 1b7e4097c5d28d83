import {
  type BotApp,
  MJ_APPLICATION_ID,
  MJ_BOT_AUTHOR,
  NIJI_APPLICATION_ID,
  NIJI_BOT_AUTHOR,
} from "./discord-objects.js";

/** Midjourney's slash commands with the ids/versions of discord-protocol.md §1.2 (2024-08 command index). */
type Option = { type: number; name: string; description: string; required?: boolean };
export interface Command {
  id: string;
  type: number;
  application_id: string;
  version: string;
  name: string;
  description: string;
  options: Option[];
  [key: string]: unknown;
}
const cmd = (
  id: string,
  version: string,
  name: string,
  description: string,
  options: Option[] = [],
  applicationId = MJ_APPLICATION_ID,
): Command => ({
  id,
  type: 1,
  application_id: applicationId,
  version,
  name,
  description,
  options,
  dm_permission: true,
  contexts: [0, 1, 2],
  integration_types: [0, 1],
  global_popularity_rank: 1,
});

const COMMANDS = [
  cmd("938956540159881230", "1237876415471554623", "imagine", "Create images with Midjourney", [
    { type: 3, name: "prompt", description: "The prompt to imagine", required: true },
  ]),
  cmd(
    "1092492867185950852",
    "1237876415471554625",
    "describe",
    "Writes four example prompts based on an image you upload",
    [
      { type: 11, name: "image", description: "the image to describe" },
      { type: 3, name: "link", description: "…" },
    ],
  ),
  cmd("1062880104792997970", "1237876415471554624", "blend", "Blend images together seamlessly!", [
    { type: 11, name: "image1", description: "First image to add to the blend", required: true },
    { type: 11, name: "image2", description: "Second image to add to the blend", required: true },
    { type: 3, name: "dimensions", description: "The dimensions of the image." },
    { type: 11, name: "image3", description: "Third image to add to the blend (optional)" },
    { type: 11, name: "image4", description: "Fourth image to add to the blend (optional)" },
    { type: 11, name: "image5", description: "Fifth image to add to the blend (optional)" },
  ]),
  cmd("1121575372539039774", "1247736572414001223", "shorten", "Analyzes and shortens a prompt", [
    { type: 3, name: "prompt", description: "The prompt to shorten", required: true },
  ]),
  cmd("1169435442328911902", "1247736572414001224", "show", "Shows the job view based on job id", [
    { type: 3, name: "job_id", description: "The job ID of the job you want to show.", required: true },
  ]),
  cmd("1000850743479255081", "1237876415790055475", "settings", "View and adjust your personal settings."),
  cmd("972289487818334209", "1237876415735660565", "info", "View information about your profile."),
  cmd("972289487818334212", "1237876415735660572", "fast", "Switch to fast mode"),
  cmd("972289487818334213", "1237876415735660573", "relax", "Switch to relax mode"),
  cmd("1124132684143271996", "1237876415790055474", "turbo", "Switch to turbo mode"),
];

// The niji bot has the same commands; describe/blend/shorten ids are the real ones (discord-protocol.md §1.2),
// the others are simulator values.
const NIJI_IDS: Record<string, [string, string]> = {
  imagine: ["1090660574196674713", "1237876415471554633"],
  describe: ["1092683500743831652", "1237876415471554635"],
  blend: ["1061216934374424697", "1237876415471554634"],
  shorten: ["1121575453916942376", "1247736572414001233"],
  show: ["1169435442328911912", "1247736572414001234"],
};
const NIJI_COMMANDS = COMMANDS.filter((c) => NIJI_IDS[c.name]).map((c) => {
  const [id, version] = NIJI_IDS[c.name]!;
  return { ...c, id, version, application_id: NIJI_APPLICATION_ID };
});

/** The command an interaction names, by application and command id. */
export function findCommand(applicationId: string, commandId: string): Command | undefined {
  const list = applicationId === NIJI_APPLICATION_ID ? NIJI_COMMANDS : COMMANDS;
  return list.find((c) => c.id === commandId);
}

export const appOf = (applicationId: string): BotApp =>
  applicationId === NIJI_APPLICATION_ID ? "niji" : "mj";

// The application's bot user has avatar_decoration_data instead of avatar_decoration (captured index).
const { avatar_decoration: _unused, ...botUser } = MJ_BOT_AUTHOR;

const { avatar_decoration: _unusedNiji, ...nijiUser } = NIJI_BOT_AUTHOR;

/** A guild with both bots lists both applications; `applicationId` narrows it (the search route's filter). */
export function commandIndex(applicationId?: string | null) {
  const both = !applicationId;
  return {
    applications: [
      ...(both || applicationId === MJ_APPLICATION_ID ? mjApplication() : []),
      ...(both || applicationId === NIJI_APPLICATION_ID ? nijiApplication() : []),
    ],
    application_commands: [
      ...(both || applicationId === MJ_APPLICATION_ID ? COMMANDS : []),
      ...(both || applicationId === NIJI_APPLICATION_ID ? NIJI_COMMANDS : []),
    ],
    version: "1247736572414001224",
  };
}

function nijiApplication() {
  return [
    {
      id: NIJI_APPLICATION_ID,
      name: "niji・journey Bot",
      description: "Generate anime-style images with </imagine:1090660574196674713>",
      icon: NIJI_BOT_AUTHOR.avatar,
      bot: {
        ...nijiUser,
        flags: 589824,
        accent_color: null,
        avatar_decoration_data: null,
        banner: null,
        banner_color: null,
      },
      bot_id: NIJI_APPLICATION_ID,
      flags: "94371840",
    },
  ];
}

function mjApplication() {
  return [
    {
      id: MJ_APPLICATION_ID,
      name: "Midjourney Bot",
      description:
        "Generate an image based on a text prompt using the </imagine:938956540159881230> command!",
      icon: MJ_BOT_AUTHOR.avatar,
      bot: {
        ...botUser,
        flags: 589824,
        accent_color: null,
        avatar_decoration_data: null,
        banner: null,
        banner_color: null,
      },
      bot_id: MJ_APPLICATION_ID,
      flags: "94371840",
    },
  ];
}

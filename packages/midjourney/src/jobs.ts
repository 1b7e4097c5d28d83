import type { ButtonView } from "./buttons.js";
import type { EmbedKind } from "./embeds.js";

// What the correlator tracks and what it tells the worker (discord-protocol.md §4.3).

export type TaskAction =
  | "IMAGINE"
  | "UPSCALE"
  | "VARIATION"
  | "REROLL"
  | "DESCRIBE"
  | "BLEND"
  | "SHORTEN"
  | "ZOOM"
  | "PAN"
  | "UPSCALE_HD"
  | "VIDEO"
  | "ACTION"
  | "UPLOAD";

export interface TrackedJob {
  taskId: string;
  action: TaskAction;
  nonce: string;
  /**
   * The prompt we sent (IMAGINE, SHORTEN), the parent's prompt (button jobs), or the prompt typed into
   * a pop-up once it is submitted; "" when Midjourney writes its own (DESCRIBE, BLEND).
   */
  prompt: string;
  /** UPSCALE / VARIATION / REROLL: the message whose button was clicked. */
  parentMessageId?: string;
  /** UPSCALE / VARIATION: the grid quadrant 1..4. */
  index?: number;
  /** Button jobs: the clicked button's custom_id; it tells a reroll, a zoom or a Vary (Region) apart. */
  customId?: string;
  /** When the interaction was sent, ms. */
  sentAt: number;
  // Learned from events and persisted by the worker so that a new owner can resume:
  interactionId?: string;
  progressMessageId?: string;
}

export interface SuccessResult {
  messageId: string;
  messageFlags: number;
  imageUrl: string;
  jobHash: string | null;
  /** The message content as Midjourney wrote it. */
  content: string;
  /** The prompt as Midjourney echoed it. */
  prompt: string | null;
  /** The result's action rows as Discord sent them. */
  components: unknown[];
  /** The result's clickable buttons. */
  buttons: ButtonView[];
  /** /describe's four prompts or /shorten's analysis (the embed's description); null otherwise. */
  text: string | null;
}

export type CorrelationEffect =
  | { type: "started"; taskId: string; interactionId?: string; progressMessageId?: string }
  | { type: "progress"; taskId: string; progress: number; progressMessageId: string; previewUrl?: string }
  | { type: "success"; taskId: string; result: SuccessResult }
  /** Terminal: "[Banned prompt] …", "Failed to process…", "stopped"; `kind` when an embed said which. */
  | { type: "failure"; taskId: string; reason: string; kind?: EmbedKind }
  /** "Queue full": re-send later with a new nonce (track the job again). */
  | { type: "retry"; taskId: string; reason: string }
  /** "Job queued": keep waiting. */
  | { type: "queued"; taskId: string }
  /** Account-level notice: fail the task (when known) and take the account out of rotation. */
  | { type: "account"; taskId?: string; reason: string; kind?: EmbedKind }
  /**
   * The click opened a text pop-up (Remix, Custom Zoom, describe/shorten prompts): fill it in with
   * a modal submit using `interactionId`, then `track` the job again with the submit's nonce.
   */
  | { type: "modal"; taskId: string; interactionId: string; customId: string; fieldCustomId: string | null }
  /** Vary (Region) opened its mask editor: POST the mask with `customId` ("MJ::iframe::<token>"). */
  | { type: "iframe"; taskId: string; interactionId: string; customId: string };

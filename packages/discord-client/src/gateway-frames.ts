import { z } from "zod";

/** Every gateway payload: `s`/`t` are null for non-dispatch ops (discord-protocol.md §3.2). */
export const GatewayFrameSchema = z.object({
  op: z.number().int(),
  d: z.unknown(),
  s: z.number().int().nullish(),
  t: z.string().nullish(),
});
export type GatewayFrame = z.infer<typeof GatewayFrameSchema>;

/** Op 10 Hello (§3.2). */
export const HelloSchema = z.object({ heartbeat_interval: z.number().positive() });

/** The READY fields the client keeps (§3.4). */
export const ReadySchema = z.object({
  session_id: z.string().min(1),
  resume_gateway_url: z.string().nullish(),
  user: z.object({ id: z.string() }).nullish(),
});

export const GatewayOp = {
  Dispatch: 0,
  Heartbeat: 1,
  Identify: 2,
  Resume: 6,
  Reconnect: 7,
  InvalidSession: 9,
  Hello: 10,
  HeartbeatAck: 11,
} as const;

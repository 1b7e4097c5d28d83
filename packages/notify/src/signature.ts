import { createHmac } from "node:crypto";

/** Standard Webhooks headers: the key is the base64 part after `whsec_`, signed over `id.timestamp.body`. */
export function signatureHeaders(
  secret: string,
  eventId: string,
  timestampSeconds: number,
  body: string,
): Record<string, string> {
  const key = Buffer.from(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret, "base64");
  const signature = createHmac("sha256", key)
    .update(`${eventId}.${timestampSeconds}.${body}`)
    .digest("base64");
  return {
    "webhook-id": eventId,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": `v1,${signature}`,
  };
}

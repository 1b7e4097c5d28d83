import { imageMessageBody } from "@mjg/midjourney";
import { isTerminal, type TaskRecord } from "@mjg/shared";
import type { RuntimeDeps } from "./account.js";
import { dropTaskImages, publicUrls, uploadImages } from "./images.js";
import { inputImages, type SendContext } from "./interactions.js";

/**
 * `/mj/submit/upload-discord-images`: posts the task's images in the account's channel and keeps
 * their CDN URLs. No Midjourney job is involved, so it ends as soon as Discord has answered.
 */
export async function runUpload(
  record: TaskRecord,
  ctx: SendContext,
  deps: Pick<RuntimeDeps, "lifecycle" | "pacing" | "account">,
): Promise<void> {
  const { lifecycle, pacing, account } = deps;
  if (isTerminal(record.status)) return lifecycle.settle(record);
  const images = await inputImages(record, ctx);
  if (images.length === 0) {
    await lifecycle.fail(record._id, "the images to upload are no longer stored");
    return;
  }
  let urls: string[];
  const ticket = await pacing.pass(account.id, account);
  try {
    const uploaded = await uploadImages(ctx.rest, ctx.channelId, images);
    urls = await publicUrls(ctx.rest, ctx.channelId, imageMessageBody(uploaded));
  } catch (error) {
    await lifecycle.fail(record._id, `[Upload failed] ${(error as Error).message}`);
    return;
  } finally {
    await ticket.done().catch(() => undefined);
  }
  const now = Date.now();
  await lifecycle.change(record._id, (current) =>
    isTerminal(current.status)
      ? null
      : {
          status: "SUCCESS",
          imageUrl: urls[0] ?? null,
          uri: urls[0] ?? null,
          imageUrls: urls,
          startTime: current.startTime ?? now,
          finishTime: now,
        },
  );
  await dropTaskImages(ctx.redis, ctx.keys, record._id);
}

// Drives a Reelway server with the official openai Node SDK; prints one JSON report.
// Usage: OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 OPENAI_API_KEY=sk-rw-... node videos.mjs
import OpenAI from "openai";

const client = new OpenAI({ maxRetries: 0 });
const report = {};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Waits with a deadline (well inside the Python test's own), so a stuck job fails with what
// was last seen instead of the whole script being killed without a word.
async function finished(id, limitMs = 60_000) {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const video = await client.videos.retrieve(id);
    if (video.status === "completed" || video.status === "failed") return video;
    if (Date.now() > deadline) {
      throw new Error(`${id} not finished within ${limitMs} ms: ${JSON.stringify(video)}`);
    }
    await sleep(200);
  }
}

// A 720x1280 PNG as a data URL, sent as an object reference (Node can; Python cannot).
const png = Buffer.from(process.env.REFERENCE_PNG_BASE64, "base64");
const created = await client.videos.create({
  prompt: "A paper lantern floats over a river at night, slow pan right",
  input_reference: { image_url: `data:image/png;base64,${png.toString("base64")}` },
});
report.created = { status: created.status, size: created.size, seconds: created.seconds };
const done = await finished(created.id);
report.done = { status: done.status, progress: done.progress };

const content = await client.videos.downloadContent(done.id);
const bytes = Buffer.from(await content.arrayBuffer());
report.content = { type: content.headers.get("content-type"), bytes: bytes.length };

const uploaded = await client.videos.create({
  prompt: "The lantern drifts on",
  input_reference: await OpenAI.toFile(png, "ref.png", { type: "image/png" }),
});
report.uploaded = (await finished(uploaded.id)).status;

const remix = await client.videos.remix(done.id, { prompt: "The same lantern at dawn" });
report.remix = { from: remix.remixed_from_video_id === done.id };

const ids = [];
for await (const video of client.videos.list({ limit: 1, order: "asc" })) ids.push(video.id);
report.listed = ids;

try {
  await client.videos.create({ prompt: "x", size: "1920x1080" });
} catch (error) {
  report.error = {
    isBadRequest: error instanceof OpenAI.BadRequestError,
    status: error.status,
    code: error.code,
    param: error.param,
    requestID: error.requestID,
  };
}

const deleted = await client.videos.delete(remix.id);
report.deleted = deleted.deleted;
console.log(JSON.stringify(report));

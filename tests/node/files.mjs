// The Files API through the official openai Node SDK, and a stored image as a video's
// input_reference.file_id (Node sends the object as multipart `input_reference[file_id]`);
// prints one JSON report.
// Usage: OPENAI_BASE_URL=... OPENAI_API_KEY=... REFERENCE_PNG_BASE64=... node files.mjs
import OpenAI from "openai";

const client = new OpenAI({ maxRetries: 0 });
const report = {};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function finished(id, limitMs = 100_000) {
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

const png = Buffer.from(process.env.REFERENCE_PNG_BASE64, "base64");
const lines = '{"custom_id": "a"}\n{"custom_id": "b"}\n';
const batch = await client.files.create({
  file: await OpenAI.toFile(Buffer.from(lines), "in.jsonl"),
  purpose: "batch",
});
const image = await client.files.create({
  file: await OpenAI.toFile(png, "frame.png", { type: "image/png" }),
  purpose: "vision",
});
report.created = { object: image.object, purpose: image.purpose, bytes: image.bytes };
report.retrieved = (await client.files.retrieve(batch.id)).filename;
report.content = await (await client.files.content(batch.id)).text();
report.listed = [];
for await (const file of client.files.list({ limit: 1 })) report.listed.push(file.id);
report.expected = [image.id, batch.id];
report.vision = (await client.files.list({ purpose: "vision" })).data.map((f) => f.id);

const video = await client.videos.create({
  prompt: "the scene comes alive",
  input_reference: { file_id: image.id },
});
report.video = (await finished(video.id)).status;

try {
  await client.files.create({
    file: await OpenAI.toFile(Buffer.from("[1]\n"), "bad.jsonl"),
    purpose: "batch",
  });
} catch (error) {
  report.error = { status: error.status, code: error.code, param: error.param };
}
report.deleted = (await client.files.delete(batch.id)).deleted;
console.log(JSON.stringify(report));

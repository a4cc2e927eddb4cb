// Batches of videos through the official openai Node SDK: create from a batch file, retrieve
// until it ends, list, read the output and error files, cancel; prints one JSON report.
// Usage: OPENAI_BASE_URL=... OPENAI_API_KEY=... node batches.mjs
import OpenAI from "openai";

const client = new OpenAI({ maxRetries: 0 });
const report = {};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const ENDED = ["completed", "failed", "expired", "cancelled"];

async function ended(id, limitMs = 150_000) {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const batch = await client.batches.retrieve(id);
    if (ENDED.includes(batch.status)) return batch;
    if (Date.now() > deadline) throw new Error(`${id} not ended: ${JSON.stringify(batch)}`);
    await sleep(250);
  }
}

async function upload(lines) {
  const text = lines.map((line) => JSON.stringify(line)).join("\n") + "\n";
  const file = await client.files.create({
    file: await OpenAI.toFile(Buffer.from(text), "in.jsonl"),
    purpose: "batch",
  });
  return file.id;
}

const line = (id, body) => ({ custom_id: id, method: "POST", url: "/v1/videos", body });
const input = await upload([
  line("good-1", { model: "tiny", prompt: "a kite" }),
  line("good-2", { model: "tiny", prompt: "a boat" }),
  line("bad", { model: "tiny", prompt: "x", seconds: "9" }),
]);
const made = await client.batches.create({
  input_file_id: input,
  endpoint: "/v1/videos",
  completion_window: "24h",
  metadata: { from: "node" },
});
report.created = { status: made.status, metadata: made.metadata };
const done = await ended(made.id);
report.done = { status: done.status, counts: done.request_counts };
const read = async (id) =>
  id ? (await (await client.files.content(id)).text()).trim().split("\n").map((l) => JSON.parse(l)) : [];
report.output = (await read(done.output_file_id)).map((l) => [l.custom_id, l.response.body.status]);
report.errors = (await read(done.error_file_id)).map((l) => [
  l.custom_id,
  l.response.status_code,
  l.response.body.error.code,
]);

const second = await client.batches.create({
  input_file_id: await upload([line("later", { model: "tiny", prompt: "a hill" })]),
  endpoint: "/v1/videos",
  completion_window: "24h",
});
report.cancelled = (await ended((await client.batches.cancel(second.id)).id)).status;
report.listed = [];
for await (const batch of client.batches.list({ limit: 1 })) report.listed.push(batch.id);
report.expected = [second.id, made.id];
try {
  await client.batches.create({ input_file_id: input, endpoint: "/v1/embeddings", completion_window: "24h" });
} catch (error) {
  report.refused = { status: error.status, code: error.code, param: error.param };
}
console.log(JSON.stringify(report));

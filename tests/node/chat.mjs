// A video through chat completions with the official openai Node SDK, streamed to the end;
// prints one JSON report.
// Usage: OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 OPENAI_API_KEY=sk-rw-... node chat.mjs
import OpenAI from "openai";

const client = new OpenAI({ maxRetries: 0, timeout: 120_000 });
const report = { roles: [], lines: [], finish: [], usage: null, video: null };

const stream = await client.chat.completions.create({
  model: "sora-2",
  messages: [{ role: "user", content: "A paper boat drifts down a rainy street, low angle" }],
  stream: true,
  stream_options: { include_usage: true },
  seconds: "4",
  size: "1280x720",
});
for await (const chunk of stream) {
  if (chunk.usage) report.usage = chunk.usage;
  const choice = chunk.choices[0];
  if (!choice) continue;
  if (choice.delta.role) report.roles.push(choice.delta.role);
  if (choice.delta.content) report.lines.push(choice.delta.content);
  if (choice.delta.video) report.video = choice.delta.video;
  if (choice.finish_reason) report.finish.push(choice.finish_reason);
}

// The link works without the key: a plain fetch, no Authorization header.
const answer = await fetch(report.video.url);
const bytes = Buffer.from(await answer.arrayBuffer());
report.download = {
  status: answer.status,
  type: answer.headers.get("content-type"),
  bytes: bytes.length,
};

// A failure before any video exists is an ordinary SDK error.
try {
  await client.chat.completions.create({
    model: "sora-2",
    messages: [{ role: "user", content: "two cats" }],
    n: 2,
  });
  report.error = null;
} catch (err) {
  report.error = { status: err.status, code: err.code, param: err.param };
}

console.log(JSON.stringify(report));

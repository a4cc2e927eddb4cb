// Edits, extensions and characters through the official openai Node SDK; prints one JSON
// report.  Node sends `video: {id}` as it is (multipart `video[id]`), which Python cannot.
// Usage: OPENAI_BASE_URL=... OPENAI_API_KEY=... CHARACTER_CLIP=clip.mp4 node longform.mjs
import { readFile } from "node:fs/promises";
import OpenAI from "openai";

const client = new OpenAI({ maxRetries: 0 });
const report = {};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Waits with a deadline (inside the Python test's own), so a stuck job fails with what was
// last seen instead of the whole script being killed without a word.
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

const shape = (video) => ({ status: video.status, seconds: video.seconds, size: video.size });
const characterShape = (character) => ({
  id: character.id,
  name: character.name,
  keys: Object.keys(character),
});

const source = await finished(
  (await client.videos.create({ prompt: "A red kite over a sandy beach", seconds: "4" })).id,
);
report.source = shape(source);

const edit = await client.videos.edit({ prompt: "The same beach at dusk", video: { id: source.id } });
report.edit = shape(await finished(edit.id));

const extension = await client.videos.extend({
  prompt: "The kite climbs higher",
  seconds: "4",
  video: { id: source.id },
});
const extended = await finished(extension.id);
report.extension = { queued: extension.seconds, status: extended.status, seconds: extended.seconds };
const content = await client.videos.downloadContent(extended.id);
report.extensionBytes = Buffer.from(await content.arrayBuffer()).length;

const clip = await readFile(process.env.CHARACTER_CLIP);
const character = await client.videos.createCharacter({
  name: "Pebble",
  video: await OpenAI.toFile(clip, "pebble.mp4", { type: "video/mp4" }),
});
report.character = characterShape(character);
report.fetched = characterShape(await client.videos.getCharacter(character.id));

// `characters` is not a typed create parameter: the SDK passes unknown body keys through.
const starring = await client.videos.create({
  prompt: "Pebble rolls down a dune at sunset",
  seconds: "4",
  characters: [{ id: character.id }],
});
report.withCharacter = (await finished(starring.id)).status;

try {
  await client.videos.create({ prompt: "A stone rolls", characters: [{ id: character.id }] });
} catch (error) {
  report.error = { status: error.status, code: error.code, param: error.param };
}
console.log(JSON.stringify(report));

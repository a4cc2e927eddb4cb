// Verifies deliveries a Reelway server made, with the official Node SDK: reads
// {deliveries: [{body, headers}], secret, wrongSecret} on stdin, prints one JSON line.
import OpenAI from "openai";

const input = JSON.parse(await new Promise((resolve) => {
  let text = "";
  process.stdin.on("data", (chunk) => (text += chunk));
  process.stdin.on("end", () => resolve(text));
}));
const client = new OpenAI({ apiKey: "unused", baseURL: "http://127.0.0.1:9/v1" });
const verified = [];
for (const { body, headers } of input.deliveries) {
  await client.webhooks.verifySignature(body, headers, input.secret);
  const event = await client.webhooks.unwrap(body, headers, input.secret);
  let wrongSecretRefused = false;
  try {
    await client.webhooks.verifySignature(body, headers, input.wrongSecret);
  } catch (error) {
    wrongSecretRefused = error instanceof OpenAI.InvalidWebhookSignatureError;
  }
  verified.push({ type: event.type, id: event.data.id, wrongSecretRefused });
}
console.log(JSON.stringify({ verified }));

"""The HTTP API: OpenAI-compatible routes, wire shapes, auth and the error envelope."""

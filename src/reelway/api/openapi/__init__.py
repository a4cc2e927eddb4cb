"""The OpenAPI 3.1 document of everything Reelway serves (``GET /openapi.json``): OpenAI's
official Videos schemas, and Reelway's additions tagged ``reelway``."""

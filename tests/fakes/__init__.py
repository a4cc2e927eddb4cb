"""Fake hosted providers: real HTTP servers on loopback, faithful to each provider's API."""

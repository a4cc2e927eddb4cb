"""Reelway: a self-hosted video generation API that speaks OpenAI's /v1/videos."""

__version__ = "0.1.0"

"""The store: the only part of Reelway that speaks SQL (SQLite or PostgreSQL)."""

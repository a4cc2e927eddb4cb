"""The chunk size every storage backend streams in (its own module, so the backends need not
import the package that picks them)."""

CHUNK_BYTES = 256 * 1024

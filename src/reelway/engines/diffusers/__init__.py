"""Open video models (Wan, LTX-Video) run with diffusers from the operator's own weights."""

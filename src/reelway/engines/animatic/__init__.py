"""The built-in animatic engine: prompt -> procedural storyboard video, on the CPU."""

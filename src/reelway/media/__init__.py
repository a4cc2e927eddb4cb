"""Media plumbing shared by every engine: MP4 writing, probing, thumbnails and spritesheets."""

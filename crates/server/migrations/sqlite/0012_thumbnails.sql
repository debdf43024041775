-- An image's size and its thumbnail (JSON: width, height, thumb_sha256, thumb_width,
-- thumb_height, thumb_size); the thumbnail's bytes are content-addressed in the blob store.
ALTER TABLE attachments ADD COLUMN image TEXT;

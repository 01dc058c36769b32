"""The content context: media uploads and renditions, posts, comments, reports, moderation, feeds."""

"""The kinds of pending earns of likes and comments (platform/outbox_sweep.py), apart from the
modules that mark, confirm and sweep them so each can import them (content/interactions_outbox.py
tells the whole story)."""

from __future__ import annotations

from datetime import timedelta

from earnloop.platform.outbox_sweep import Sweep

# Likes come in crowds: 16 index partitions (a viral post's first likes, ~300 a second each at
# 5,000 likes a second, at 1 WCU per KEYS_ONLY index item).
LIKE_EARN = Sweep("like_earn", delay=timedelta(minutes=30), max_sweeps=3, shards=16)
COMMENT_EARN = Sweep("comment_earn", delay=timedelta(minutes=30), max_sweeps=3)

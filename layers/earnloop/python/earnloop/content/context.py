"""The content context: media, posts, comments, reports, moderation and feeds.

Three areas share this table and this declaration: media (uploads, the media worker, serving),
posts (posts, comments, reports, moderation outcomes, points for posting) and feeds (materialized
pages and topics). Each area adds its indexes, queues, rules and functions here.
"""

from __future__ import annotations

from earnloop.platform.context import Context
from earnloop.platform.resources import Table

CONTEXT = Context(
    name="content",
    router="earnloop.content.api:router",
    derive="earnloop.content.events:derive",
    table=Table(name="content"),
    functions=(),
)

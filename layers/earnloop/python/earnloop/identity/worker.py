"""Queue workers of the identity context."""

from __future__ import annotations

from earnloop.codes.events import ScanClaimed
from earnloop.identity import service
from earnloop.identity.store import IdentityStore
from earnloop.platform import aws
from earnloop.platform.settings import get_settings
from earnloop.platform.workers import queue_worker


def count_scan_tags(event: ScanClaimed) -> None:
    """`profile_tags`: a claimed scan's product tags count towards its scanner's profile."""
    service.record_scan_tags(IdentityStore(aws.dynamodb(), get_settings().table_name("identity")), event)


lambda_handler = queue_worker({"ScanClaimed": (ScanClaimed, count_scan_tags)})

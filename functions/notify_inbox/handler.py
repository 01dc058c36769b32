"""Notify queue -> notifications in the recipients' inboxes."""

from earnloop.identity.notifications_worker import lambda_handler

__all__ = ["lambda_handler"]

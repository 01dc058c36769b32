"""Queue sharing: judges referrals and marks shares that led to a login, like or comment."""

from earnloop.sharing.worker import lambda_handler

__all__ = ["lambda_handler"]

"""The error hierarchy. Each error carries the stable API `code` and HTTP status of API.md."""

from __future__ import annotations

from typing import Any, ClassVar


class EarnloopError(Exception):
    """Base of every error a client may see. Never raised directly."""

    code: ClassVar[str] = "internal_error"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extensions = extensions
        self.headers: dict[str, str] = {}


class UnauthenticatedError(EarnloopError):
    code, status, title = "unauthenticated", 401, "Authentication required"


class ForbiddenError(EarnloopError):
    code, status, title = "forbidden", 403, "Not allowed"


class NotFoundError(EarnloopError):
    code, status, title = "not_found", 404, "Not found"


class InvalidCodeError(EarnloopError):
    code, status, title = "invalid_code", 400, "Invalid QR code"


class CodeAlreadyClaimedError(EarnloopError):
    code, status, title = "code_already_claimed", 409, "QR code already claimed"


class InsufficientPointsError(EarnloopError):
    code, status, title = "insufficient_points", 409, "Not enough points"


class OutOfStockError(EarnloopError):
    code, status, title = "out_of_stock", 409, "Out of stock"


class LimitReachedError(EarnloopError):
    code, status, title = "limit_reached", 409, "Limit reached"


class NotOnSaleError(EarnloopError):
    """The reward exists but its sale window is not open now (docs/decisions.md, 2026-12-02)."""

    code, status, title = "not_on_sale", 409, "Not on sale now"


class InvalidStateError(EarnloopError):
    """The resource is in a state that does not allow this action (an order already fulfilled)."""

    code, status, title = "invalid_state", 409, "Not allowed in this state"


class AccountFrozenError(EarnloopError):
    code, status, title = "account_frozen", 423, "Points account frozen"


class RateLimitedError(EarnloopError):
    code, status, title = "rate_limited", 429, "Too many requests"

    def __init__(self, retry_after_s: int, detail: str | None = None) -> None:
        super().__init__(detail)
        self.retry_after_s = max(1, int(retry_after_s))
        self.headers = {"Retry-After": str(self.retry_after_s)}


class IdempotencyConflictError(EarnloopError):
    code, status, title = "idempotency_conflict", 409, "Idempotency key reused with another body"


class ValidationFailedError(EarnloopError):
    code, status, title = "validation_error", 422, "Invalid request"


class PayloadTooLargeError(EarnloopError):
    code, status, title = "payload_too_large", 413, "Payload too large"


class WeChatUnavailableError(EarnloopError):
    code, status, title = "wechat_unavailable", 503, "WeChat is unavailable"


class ConcurrencyError(EarnloopError):
    """An optimistic-concurrency write kept losing its race; the client may retry."""

    code, status, title = "conflict", 409, "Concurrent update, please retry"

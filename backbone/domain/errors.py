"""Typed errors raised inside the backbone; each carries the stable code shown at its door.

Lower layers raise these; the API layer turns them into
``BackboneResponse(success=False, error=...)`` with ``error_code`` set.
"""

from __future__ import annotations


class BackboneError(Exception):
    """Base of every error the backbone raises on purpose."""

    code = "INTERNAL_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInputError(BackboneError, ValueError):
    """A caller passed a value that is not allowed; the message names the field."""

    def __init__(self, code: str, field: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.field = field


class RateLimitedError(BackboneError):
    """Upbit answered 429 and retries were exhausted."""

    code = "RATE_LIMITED"

    def __init__(self, group: str, message: str | None = None) -> None:
        super().__init__(message or f"Upbit's rate limit for the {group} group was exceeded")
        self.group = group


class BannedError(BackboneError):
    """Upbit answered 418: calls to this group are blocked for ``retry_after_s`` seconds."""

    code = "BANNED"

    def __init__(self, group: str, retry_after_s: float, message: str | None = None) -> None:
        super().__init__(
            message
            or f"Upbit has blocked the {group} group for {retry_after_s:.0f} s after too many requests"
        )
        self.group = group
        self.retry_after_s = retry_after_s


class UpstreamError(BackboneError):
    """The exchange answered with a server error or an unreadable body."""

    code = "UPSTREAM_UNAVAILABLE"

    def __init__(self, status: int | None, message: str) -> None:
        super().__init__(message)
        self.status = status


class MalformedAnswerError(UpstreamError, ValueError):
    """The exchange answered 200 with rows that cannot be right: ``field`` (Upbit's name) of
    row ``row`` is missing, unreadable or out of place.

    An unreadable answer, like any body that does not parse: the REST channel retries the
    call and, when retries run out, fails it as ``UPSTREAM_UNAVAILABLE``. Nothing of the
    answer is kept.
    """

    def __init__(self, field: str, row: int | None, message: str) -> None:
        where = f"row {row}: " if row is not None else ""
        super().__init__(200, f"{where}{message}")
        self.field = field
        self.row = row


class UpstreamTimeoutError(BackboneError):
    """The exchange did not answer in time."""

    code = "TIMEOUT"


class ConnectionLostError(BackboneError):
    """The connection to the exchange could not be made or was dropped."""

    code = "CONNECTION_LOST"


class BadRequestError(BackboneError):
    """The exchange rejected the request (400/404); ``upbit_message`` is its own words."""

    code = "BAD_REQUEST"

    def __init__(self, status: int, upbit_name: str, upbit_message: str) -> None:
        super().__init__(f"Upbit rejected the request ({status} {upbit_name}): {upbit_message}")
        self.status = status
        self.upbit_name = upbit_name
        self.upbit_message = upbit_message


class StorageError(BackboneError):
    """The local cache could not be read or written."""

    code = "STORAGE_ERROR"


class SchemaVersionError(StorageError):
    """The database was written by a newer version of the app."""

    code = "STORAGE_SCHEMA_TOO_NEW"


class CancelledRequestError(BackboneError):
    """The caller cancelled a long request; what was already stored is kept."""

    code = "CANCELLED"

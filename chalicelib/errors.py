"""Errors in Chalice's shape ({"Code": ..., "Message": ...}) with the contract's status codes."""

from chalice import (  # noqa: F401  (re-exported so the domain raises one family of errors)
    BadRequestError,
    ChaliceViewError,
    ForbiddenError,
    NotFoundError,
    UnauthorizedError,
)


class RequestTooLargeError(ChaliceViewError):
    STATUS_CODE = 413


class ServiceUnavailableError(ChaliceViewError):
    """Storage is throttled or down: the client may send the same request again."""

    STATUS_CODE = 503
    RETRY_AFTER_S = 1


def invalid(path: str, message: str) -> BadRequestError:
    """A 400 whose message starts with the offending field's path, e.g. clicks[3].source.ip."""
    return BadRequestError(f"{path}: {message}")

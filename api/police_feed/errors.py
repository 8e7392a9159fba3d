from typing import ClassVar

from api.errors import AppError


class PoliceFeedUnreadable(AppError):
    """The whole file is refused before anything is imported (encoding, header, quoting)."""

    error = "police_feed_unreadable"
    status_code = 422
    message_key = "error.police_feed.unreadable"
    example_params: ClassVar[dict[str, str]] = {"problem": "the file is not UTF-8 (first bad byte on line 3)"}


class PoliceFeedTooLarge(AppError):
    error = "police_feed_too_large"
    status_code = 413
    message_key = "error.police_feed.too_large"
    example_params: ClassVar[dict[str, str]] = {"limit": "10 MB"}


class PoliceFeedNotCsv(AppError):
    error = "police_feed_not_csv"
    status_code = 415
    message_key = "error.police_feed.not_csv"

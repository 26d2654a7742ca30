"""What "now" means for a build: the clock, or SOURCE_DATE_EPOCH when set.

Only used to decide which scheduled posts are due; "now" never appears in the
output, so builds stay byte-identical.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime


class BadEpoch(ValueError):
    """SOURCE_DATE_EPOCH is set but is not a whole number of seconds."""


def build_now(environ: dict[str, str] | None = None) -> datetime:
    """The moment a build runs "as of", timezone-aware."""
    environ = dict(os.environ) if environ is None else environ
    epoch = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return datetime.now(UTC)
    try:
        return datetime.fromtimestamp(int(epoch), UTC)
    except (ValueError, OverflowError, OSError):
        raise BadEpoch(f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds since 1970") from None

"""Event times: parse what clients send (RFC 3339 with offset, or epoch ms), print RFC 3339 UTC."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")
# Year 1970 to 9999: anything outside is a client mistake, not a time.
MIN_MS = 0
MAX_MS = 253402300799999


def parse_time(value) -> int | None:
    """Epoch milliseconds from an RFC 3339 string with offset or an integer of epoch ms; None if neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if MIN_MS <= value <= MAX_MS else None
    if not isinstance(value, str) or not _RFC3339.match(value):
        return None
    text = value.replace("z", "Z").replace("Z", "+00:00").replace("t", "T").replace(" ", "T")
    frac = re.search(r"\.(\d+)", text)
    if frac and len(frac.group(1)) > 6:  # fromisoformat takes at most microseconds
        text = text.replace(frac.group(0), "." + frac.group(1)[:6])
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    ms = (
        int(parsed.timestamp() * 1000)
        if parsed.microsecond == 0
        else (int(parsed.replace(microsecond=0).timestamp()) * 1000 + parsed.microsecond // 1000)
    )
    return ms if MIN_MS <= ms <= MAX_MS else None


def format_time(ms: int | None) -> str | None:
    """RFC 3339 in UTC with milliseconds, as every response carries times."""
    if ms is None:
        return None
    dt = datetime.fromtimestamp(ms // 1000, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


def now_ms() -> int:
    return time.time_ns() // 1_000_000

"""What merchants read: their refunds (JSON or CSV, paged newest first) and a summary over time."""

from __future__ import annotations

import csv
import io
from collections import defaultdict

from chalicelib import cursor
from chalicelib.models import KIND_CREDITED, Refund
from chalicelib.storage.base import Store
from chalicelib.timefmt import format_time

CSV_FIELDS = (
    "refund_id",
    "click_id",
    "advertiser_id",
    "listing_id",
    "keyword",
    "click_ts",
    "refunded_at",
    "amount_micros",
    "currency",
    "stage",
    "kind",
    "reasons",
    "campaign_id",
)
BUCKET_MS = {"hour": 3_600_000, "day": 86_400_000}


def list_refunds(
    store: Store, secret: str, merchant_id: str, query: dict, limit: int, raw_cursor: str | None
) -> tuple[list[Refund], str | None]:
    """One page of a merchant's refunds, newest click first, and the cursor to the next page."""
    scope = {"m": merchant_id, **{k: query[k] for k in sorted(query) if query[k] is not None}}
    after = cursor.decode(secret, scope, raw_cursor)
    refunds, last = store.query_refunds(
        merchant_id, query.get("from"), query.get("to"), limit, after, query.get("reason")
    )
    return refunds, cursor.encode(secret, scope, last) if last else None


def refunds_csv(refunds: list[Refund]) -> str:
    """The same fields as the JSON, one row per refund; reasons joined by '|'."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for refund in refunds:
        row = refund.to_json()
        row["reasons"] = "|".join(row["reasons"])
        writer.writerow({k: _cell(row[k]) for k in CSV_FIELDS})
    return out.getvalue()


def _cell(value):
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a quote (OWASP)."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def summary(store: Store, merchant_id: str, start: int | None, end: int | None, bucket: str) -> dict:
    """Clicks, charges and refunds over [from, to], by reason and per hour or day bucket."""
    size = BUCKET_MS[bucket]
    series: dict[int, dict] = defaultdict(
        lambda: {"clicks": 0, "charged_micros": 0, "refunded": 0, "refunded_micros": 0}
    )
    totals = {
        "clicks": 0,
        "charged_micros": 0,
        "refunded_clicks": 0,
        "refunded_micros": 0,
        "credited_micros": 0,
    }
    for click in store.iter_advertiser_clicks(merchant_id, start, end):
        totals["clicks"] += 1
        totals["charged_micros"] += click.charged_micros
        entry = series[click.ts // size * size]
        entry["clicks"] += 1
        entry["charged_micros"] += click.charged_micros
    by_reason: dict[str, dict] = defaultdict(lambda: {"count": 0, "micros": 0})
    after = None
    while True:
        page, after = store.query_refunds(merchant_id, start, end, 1000, after, None)
        for refund in page:
            totals["refunded_clicks"] += 1
            totals["refunded_micros"] += refund.amount_micros
            if refund.kind == KIND_CREDITED:
                totals["credited_micros"] += refund.amount_micros
            for reason in refund.reasons:
                by_reason[reason]["count"] += 1
                by_reason[reason]["micros"] += refund.amount_micros
            entry = series[refund.click_ts // size * size]
            entry["refunded"] += 1
            entry["refunded_micros"] += refund.amount_micros
        if after is None:
            break
    return {
        "merchant_id": merchant_id,
        "from": format_time(start),
        "to": format_time(end),
        "bucket": bucket,
        **totals,
        "net_charged_micros": totals["charged_micros"] - totals["credited_micros"],
        "by_reason": dict(sorted(by_reason.items())),
        "series": [{"start": format_time(k), **series[k]} for k in sorted(series)],
    }

"""Reading single things: one click with its decision and evidence, one seller profile."""

from __future__ import annotations

from chalicelib.auth import ADSERVER, ANALYST, Principal
from chalicelib.errors import ForbiddenError, NotFoundError
from chalicelib.ingest import decision_of
from chalicelib.storage.base import Store


def click_view(store: Store, click_id: str, who: Principal) -> dict:
    """The click as received, its current decision, its dwell and the evidence behind the score."""
    record = store.get_clicks([click_id]).get(click_id)
    if record is None or record.click is None:
        raise NotFoundError(f"click {click_id} is unknown")
    if who.role not in (ADSERVER, ANALYST) and who.merchant_id != record.click.advertiser_id:
        raise ForbiddenError("not yours: the click advertised another merchant")
    return {
        "click": record.click.to_json(),
        "decision": decision_of(record).to_json(),
        "dwell_ms": record.dwell_ms,
        "evidence": record.evidence,
    }

"""The retroactive campaign sweep: looks back over recent windows and credits coordinated clicks."""

from __future__ import annotations

from chalicelib.config import Settings
from chalicelib.storage.base import Store
from chalicelib.timefmt import format_time, now_ms


def run_sweep(store: Store, cfg: Settings, until: int | None) -> dict:
    """Sweep the windows up to `until` (default: the newest event time seen)."""
    until = until or store.newest_click_ts() or now_ms()
    return {"until": format_time(until), "campaigns": [], "refunds_written": 0}


def list_campaigns(store: Store, start: int | None, end: int | None, limit: int) -> dict:
    """Detected campaigns, newest first."""
    return {"campaigns": [], "next_cursor": None}


def get_campaign(store: Store, campaign_id: str) -> dict | None:
    return None

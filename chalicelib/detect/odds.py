"""Prior odds for a click of a mixed burst: pure functions of a burst's summary numbers."""

from __future__ import annotations


def band_share_odds(cover: float, market_in: float) -> float:
    """Odds that a burst's click is the script's, from the share of its stays the band holds beyond
    the market's: an honest crowd in the same burst (a viral listing) is excess volume too, but it
    does not crowd the band."""
    share = (cover - market_in) / max(1.0 - market_in, 1e-3)
    share = min(max(share, 0.0), 0.999)
    return share / (1.0 - share)

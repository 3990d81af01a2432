"""Prior odds for a click of a mixed burst: pure functions of bursts' summary numbers (scalars or arrays)."""

from __future__ import annotations

import numpy as np


def band_share_odds(cover, market_in):
    """Odds that a burst's click is the script's, from the share of its stays the band holds beyond
    the market's: an honest crowd in the same burst (a viral listing) is excess volume too, but it
    does not crowd the band."""
    share = np.clip((cover - market_in) / np.maximum(1.0 - market_in, 1e-3), 0.0, 0.999)
    return share / (1.0 - share)

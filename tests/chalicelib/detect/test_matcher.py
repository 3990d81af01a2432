"""Real-time feedback from stored campaigns: which clicks and stays of a campaign's crew are matched."""

from __future__ import annotations

import numpy as np

from chalicelib.config import Settings
from chalicelib.detect.matcher import StoreCampaignMatcher
from chalicelib.ingest import ClickIngest
from chalicelib.models import Click, Source
from tests.chalicelib.detect.scenes import MINUTE, UA
from tests.chalicelib.test_sweep import swept_member

CFG = Settings()


def crowd_on(ingest, listing, start, stay, rng):
    """Twenty strangers on a listing of a shop the campaign never touched, their stays reported."""
    clicks = [
        Click(
            f"{listing}-{k}",
            start + k * 5_000,
            "S" + listing,
            listing,
            2_000_000,
            Source(
                ip=f"10.5.{k}.1", device_id=f"{listing}-d{k}", user_agent=UA, account_id=f"{listing}-a{k}"
            ),
            keyword="kw" + listing,
        )
        for k in range(20)
    ]
    for c in clicks:
        ingest.score_clicks([c])
        ingest.report_dwell([(c.click_id, int(stay(rng)))])


def test_a_member_is_dropped_on_a_listing_under_a_scripted_attack_off_the_campaigns_targets():
    store, until, who = swept_member()
    ingest = ClickIngest(store, CFG, StoreCampaignMatcher(store, CFG))
    rng = np.random.default_rng(1)
    start = until + 20 * MINUTE
    # The crew's next target, a listing the campaign has not reached: its stays follow the script.
    crowd_on(ingest, "LZ", start, lambda r: 10_000 * np.exp(r.normal(0, 0.1)), rng)
    # An honest crowd on another listing: the same volume, organic stays.
    crowd_on(ingest, "LW", start, lambda r: 250 + 30_000 * r.weibull(0.7), rng)
    # A farm on a third: scripted too, but by another script than the campaign's ten seconds.
    crowd_on(ingest, "LF", start, lambda r: r.uniform(30_000, 60_000), rng)
    at = start + 2 * MINUTE
    on_lz = Click("m-lz", at, "SLZ", "LZ", 2_000_000, who, keyword="kwLZ")
    on_lw = Click("m-lw", at, "SLW", "LW", 2_000_000, who, keyword="kwLW")
    on_lf = Click("m-lf", at, "SLF", "LF", 2_000_000, who, keyword="kwLF")
    got = {d.click_id: (d.decision, d.reasons) for d in ingest.score_clicks([on_lz, on_lw, on_lf])}
    assert got["m-lz"] == ("drop", ["COORDINATED_CAMPAIGN"])
    # Off the campaign's targets, bursting is not enough, nor another attack's script: a member
    # shopping there is charged.
    assert got["m-lw"][0] == "charge"
    assert got["m-lf"][0] == "charge"

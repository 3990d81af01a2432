"""The sweep's click frame: typed columns from records, refreshed in place, compacted on trim."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from chalicelib.detect.frame import COLUMNS, NONE, ClickFrame
from chalicelib.models import CHARGE
from chalicelib.storage.base import ClickRecord
from tests.chalicelib.detect.scenes import scene


def records(s, **changes):
    return [
        ClickRecord(
            click_id=c.click_id,
            click=c,
            decision=changes.get("decision", CHARGE),
            dwell_ms=changes.get("dwell", s.dwell.get(c.click_id)),
            evidence={"rival": True} if i % 7 == 0 else {},
        )
        for i, c in enumerate(s.ordered())
    ]


def test_upsert_builds_typed_columns_and_interns_names():
    s = scene(viral=False, quiet=50)
    frame = ClickFrame()
    frame.upsert(records(s))
    clicks = s.ordered()
    assert len(frame) == len(clicks) and frame.click_ids == [c.click_id for c in clicks]
    assert {name: col.dtype for name, col in frame.cols.items()} == {
        k: np.dtype(v) for k, v in COLUMNS.items()
    }
    assert frame.cols["ts"].tolist() == [c.ts for c in clicks]
    assert frame.cols["cost"].tolist() == [c.cost_micros for c in clicks]
    for row, c in enumerate(clicks):
        dwell = s.dwell.get(c.click_id)
        assert math.isnan(frame.cols["dwell"][row]) if dwell is None else frame.cols["dwell"][row] == dwell
        assert frame.name("target", frame.cols["listing"][row]) == "l:" + c.listing_id
        assert frame.name("source", frame.cols["person"][row]) == "a:" + c.source.account_id
        assert frame.cols["seller"][row] == NONE and not frame.cols["owner"][row]
        assert frame.cols["rival"][row] == (row % 7 == 0)
    assert frame.cols["charged"].all()


def test_a_shop_owner_is_marked_on_other_shops_listings_only():
    s = scene(attack=False, viral=False, quiet=3)
    own, rival, shopper = (
        replace(c, source=replace(c.source, seller_id=seller))
        for c, seller in zip(s.ordered(), (s.ordered()[0].advertiser_id, "S77", None), strict=True)
    )
    frame = ClickFrame()
    frame.upsert(ClickRecord(click_id=c.click_id, click=c, decision=CHARGE) for c in (own, rival, shopper))
    assert frame.cols["owner"].tolist() == [False, True, False]
    assert frame.name("source", frame.cols["seller"][1]) == "s:S77"


def test_reading_a_click_again_refreshes_dwell_and_charge_in_place():
    s = scene(viral=False, quiet=50)
    frame = ClickFrame()
    frame.upsert(records(s))
    frame.upsert(records(s, dwell=1234, decision="drop"))
    assert len(frame) == len(s.clicks)
    assert (frame.cols["dwell"] == 1234.0).all() and not frame.cols["charged"].any()


def test_trim_compacts_once_enough_rows_left_the_look_back():
    s = scene(viral=False, quiet=50)
    frame = ClickFrame()
    frame.upsert(records(s))
    ts = np.sort(frame.cols["ts"])
    frame.trim(int(ts[len(ts) // 2]))
    kept = frame.cols["ts"] >= ts[len(ts) // 2]
    assert kept.all() and len(frame) == len(frame.click_ids) == len(frame.row_of)
    assert all(frame.row_of[cid] == i for i, cid in enumerate(frame.click_ids))

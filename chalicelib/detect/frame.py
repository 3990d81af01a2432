"""The sweep's view of recent clicks: one numpy column per field, strings interned to integers.

Kept per store across sweeps (a warm Lambda container, or the benchmark's process): each sweep
reads only the clicks of the last few minutes again (their dwell and refunds are still moving)
and appends what is new, instead of reading the whole look-back every minute.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable

import numpy as np

from chalicelib.models import CHARGE
from chalicelib.scoring.features import other_shop_owner
from chalicelib.storage.base import ClickRecord

COLUMNS = {
    "ts": np.int64,
    "cost": np.int64,
    "dwell": np.float64,  # NaN until reported
    "listing": np.int32,
    "advertiser": np.int32,
    "keyword": np.int32,  # -1 when the click had none
    "person": np.int32,  # the account, else the device, else the ip: one shopper
    "account": np.int32,
    "device": np.int32,
    "ip": np.int32,
    "seller": np.int32,
    "owner": np.bool_,  # by a shop owner other than the advertiser
    "charged": np.bool_,  # charged and not refunded: what a sweep may still credit
    "rival": np.bool_,
}
NONE = -1
# New rows gather in typed buffers, not lists of Python numbers (a list slot and a number object
# per field per click cost several times the column itself while a big read is parsed).
TYPECODES = {np.int64: "q", np.float64: "d", np.int32: "i", np.bool_: "B"}


class Interner:
    """Strings to dense integers and back; ids never change for the life of the frame."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.names: list[str] = []

    def __call__(self, name: str | None) -> int:
        if name is None:
            return NONE
        found = self.ids.get(name)
        if found is None:
            found = self.ids[name] = len(self.names)
            self.names.append(name)
        return found


class ClickFrame:
    """Columns of the clicks with ts in [low, high); rows are updated in place when re-read."""

    def __init__(self) -> None:
        self.cols = {name: np.empty(0, dtype=dtype) for name, dtype in COLUMNS.items()}
        self.click_ids: list[str] = []
        self.row_of: dict[str, int] = {}
        self.names = {k: Interner() for k in ("target", "source")}
        self.low = 0
        self.high = 0

    def __len__(self) -> int:
        return len(self.click_ids)

    def name(self, kind: str, idx: int) -> str:
        return self.names[kind].names[idx]

    def upsert(self, records: Iterable[ClickRecord]) -> None:
        """Add new clicks and refresh the dwell and refund state of known ones."""
        new = {name: array(TYPECODES[dtype]) for name, dtype in COLUMNS.items()}
        target, source = self.names["target"], self.names["source"]
        dwell_col, charged_col = self.cols["dwell"], self.cols["charged"]
        for r in records:
            c = r.click
            if c is None:
                continue
            charged = r.decision == CHARGE and r.refund_id is None
            dwell = np.nan if r.dwell_ms is None else float(r.dwell_ms)
            row = self.row_of.get(r.click_id)
            if row is not None:
                dwell_col[row] = dwell
                charged_col[row] = charged
                continue
            self.row_of[r.click_id] = len(self.click_ids)
            self.click_ids.append(r.click_id)
            s = c.source
            account = source("a:" + s.account_id) if s.account_id else NONE
            device = source("d:" + s.device_id) if s.device_id else NONE
            ip = source("i:" + s.ip)
            new["ts"].append(c.ts)
            new["cost"].append(c.cost_micros)
            new["dwell"].append(dwell)
            new["listing"].append(target("l:" + c.listing_id))
            new["advertiser"].append(target("a:" + c.advertiser_id))
            new["keyword"].append(target("k:" + c.keyword) if c.keyword else NONE)
            new["person"].append(account if account != NONE else device if device != NONE else ip)
            new["account"].append(account)
            new["device"].append(device)
            new["ip"].append(ip)
            new["seller"].append(source("s:" + s.seller_id) if s.seller_id else NONE)
            new["owner"].append(other_shop_owner(s, c.advertiser_id))
            new["charged"].append(charged)
            new["rival"].append(bool(r.evidence.get("rival")))
        if new["ts"]:
            for name, dtype in COLUMNS.items():
                self.cols[name] = np.concatenate([self.cols[name], np.frombuffer(new[name], dtype)])

    def trim(self, low: int) -> None:
        """Forget clicks older than `low` (they left the look-back), compacting once in a while."""
        self.low = low
        stale = int(np.count_nonzero(self.cols["ts"] < low))
        if stale * 5 < len(self):  # readers mask on ts anyway; compacting every minute costs more
            return
        keep = self.cols["ts"] >= low
        for name in COLUMNS:
            self.cols[name] = self.cols[name][keep]
        self.click_ids = [cid for cid, k in zip(self.click_ids, keep.tolist(), strict=True) if k]
        self.row_of = {cid: i for i, cid in enumerate(self.click_ids)}

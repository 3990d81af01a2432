"""DynamoStore's storage layout: compact click items, activity pages, write-sharded hot keys."""

from __future__ import annotations

import json

import pytest

from chalicelib.config import Settings, tables
from chalicelib.models import Click, Source
from chalicelib.scoring.evidence import VELOCITY_KINDS, activity_entry, click_evidence
from chalicelib.storage.base import ActivityEntry, ClickRecord
from chalicelib.storage.dynamodb import DynamoStore, dump_evidence, load_evidence

T0 = 1386482589120
UA = "Mozilla/5.0 (Linux; U; Android 4.3; zh-cn; HUAWEI G700-U00 Build/HuaweiG700-U00) AppleWebKit/534.30"


@pytest.fixture
def store(dynamodb):
    return DynamoStore(tables(), Settings())


def click(n: int, ts: int | None = None, advertiser: str = "S1") -> Click:
    return Click(
        click_id=f"c20131208-s1-{n:06d}",
        ts=T0 + n * 1000 if ts is None else ts,
        advertiser_id=advertiser,
        listing_id="468071620405",
        cost_micros=7_720_000,
        keyword="婴儿推车",
        category="母婴",
        source=Source(ip="175.153.59.230", device_id="8711220a5bd0c6a3acbe542daa2bb0c7", user_agent=UA,
                      account_id="u142654665157"),
    )  # fmt: skip


def scored(c: Click) -> ClickRecord:
    """The click as the ingest stores it, with scoring's own evidence: its source's first click."""
    mine = [activity_entry(c)]
    evidence = click_evidence(c, dict.fromkeys(VELOCITY_KINDS, mine), {}, {}, Settings())
    return ClickRecord(c.click_id, c, c.fingerprint(), "charge", c.cost_micros, 0.0, [], evidence)


def test_evidence_is_stored_compactly_and_read_back_exactly():
    full = scored(click(1)).evidence
    assert load_evidence(dump_evidence(full)) == full
    # Only what is not a signal's "did not fire" is stored: a key scoring adds without a default
    # here would be written into every click item (one did: 0.16 write units a click).
    assert set(json.loads(dump_evidence(full))) == {"~", "velocity", "duplicate_by", "fresh_source"}
    assert len(dump_evidence(full)) < 256
    partial = {"x": 1, "rival": []}  # not scoring's evidence: kept as it is
    assert load_evidence(dump_evidence(partial)) == partial


def test_a_click_item_fits_one_write_unit(store):
    record = scored(click(1))
    item = store._item(record)
    size = sum(len(k) + len(str(v).encode()) for k, v in item.items())
    assert size < 1024, item
    assert "time_bucket" not in item  # clicks are not in the sweep's index: pages are


def test_pages_are_idempotent_and_merge_dwell_and_refunds(store):
    records = [scored(click(n)) for n in range(5)]
    store.put_clicks(records)
    store.index_clicks(records)
    store.index_clicks(records)  # a retry writes the same page
    records[1].dwell_ms = 9_000
    records[2].dwell_ms, records[2].refund_id = 300, "r-2"
    store.index_clicks(records[1:3], changes_only=True)
    got = {r.click_id: r for r in store.iter_clicks_between(T0, T0 + 10_000)}
    assert sorted(got) == sorted(r.click_id for r in records)
    assert got[records[1].click_id].dwell_ms == 9_000 and got[records[1].click_id].decision == "charge"
    assert got[records[2].click_id].refund_id == "r-2" and got[records[2].click_id].decision == "drop"
    assert got[records[0].click_id].click == records[0].click
    pages = store.clicks.scan(
        FilterExpression="begins_with(click_id, :p)", ExpressionAttributeValues={":p": "pg#"}
    )
    assert len(pages["Items"]) == 2  # one click page (written twice), one change page


def test_summary_pages_count_each_click_once_whatever_the_batches(store):
    hour = Settings().summary_page_s * 1000
    base = T0 - T0 % hour
    # 60 clicks over three hours, two advertisers, a few dropped (charged 0).
    records = []
    for n in range(60):
        r = scored(click(n, ts=base + n * 3 * 60_000 + 7, advertiser="S1" if n % 3 else "S2"))
        if n % 7 == 0:
            r.decision, r.charged_micros = "drop", 0
        records.append(r)
    store.put_clicks(records)
    store.index_clicks(records[:40])
    store.index_clicks(records[:40])  # a retry of the same batch: the same pages again
    store.index_clicks(records[30:])  # a redelivery: clicks 30-39 in another batch's pages
    store.index_clicks([records[5]])  # and a one-click replay
    assert "adv_key" not in store._item(records[0])  # the click put writes no index
    pages = store.summary.scan()["Items"]
    assert len({p["adv_key"] for p in pages}) > 2  # spread over the advertisers' shards
    for advertiser in ("S1", "S2"):
        mine = [r for r in records if r.click.advertiser_id == advertiser]
        for start, end in [(None, None), (base + hour + 1, base + 2 * hour + 5), (base + 7, base + 7)]:
            low, high = start or 0, end if end is not None else 10**15
            want = sorted(
                (r.click.ts, r.click.cost_micros, r.charged_micros) for r in mine if low <= r.click.ts <= high
            )
            got = [
                (a.ts, a.cost_micros, a.charged_micros)
                for a in store.iter_advertiser_clicks(advertiser, start, end)
            ]
            assert got == want, (advertiser, start, end)
    assert len(list(store.iter_advertiser_clicks("S1", None, None))) == 40


def test_a_hot_source_key_spreads_its_writes_over_shards(store):
    cfg = Settings()
    key = "net#36.1.2.0/24"
    entries = [ActivityEntry(T0 + i * 100, 1000 + i, 7, 9) for i in range(cfg.source_ring_size)]
    store.merge_sources({key: entries}, cfg.source_ring_size)  # a full ring within seconds: hot
    base = store.sources.get_item(Key={"source_key": key})["Item"]
    assert int(base["shards"]) == cfg.source_hot_shards
    later = [ActivityEntry(T0 + 10_000 + i, 5000 + i * 7919, 7, 9) for i in range(30)]
    for e in later:  # one batch each: they land on several shard items, not on the base item
        store.merge_sources({key: [e]}, cfg.source_ring_size)
    store.merge_sources({key: later[:3]}, cfg.source_ring_size)  # a retry adds nothing
    seen = store.get_sources([key])[key]
    assert len(seen.entries) == cfg.source_ring_size + 30
    assert len({e.click for e in seen.entries}) == len(seen.entries)
    parts = store.sources.scan(
        FilterExpression="begins_with(source_key, :p)", ExpressionAttributeValues={":p": "shard"}
    )
    assert len(parts["Items"]) > 1
    assert store.sources.get_item(Key={"source_key": key})["Item"]["ver"] == 1  # base untouched


def test_newest_event_time_is_kept_on_several_items(store):
    for ts in (T0, T0 + 7, T0 + 3, T0 + 11):
        store.note_event_time(ts)
    assert store.newest_click_ts() == T0 + 11


def test_a_merge_writes_against_what_scoring_read_and_rereads_only_keys_written_since(store, monkeypatch):
    keep = Settings().source_ring_size
    store.merge_sources({"ip#a": [ActivityEntry(T0, 1, 7, 9)], "ip#b": [ActivityEntry(T0, 2, 7, 9)]}, keep)
    known = store.get_sources(["ip#a", "ip#b", "ip#c"])
    store.merge_sources({"ip#b": [ActivityEntry(T0 + 1, 3, 7, 9)]}, keep)  # another batch, since
    read: list[str] = []
    original = store.get_sources
    monkeypatch.setattr(store, "get_sources", lambda keys: read.extend(keys) or original(keys))
    additions = {key: [ActivityEntry(T0 + 2, 10 + n, 7, 9)] for n, key in enumerate(["ip#a", "ip#b", "ip#c"])}
    store.merge_sources(additions, keep, known=known)
    assert read == ["ip#b"]  # its write lost the race: read again, merged again
    got = original(["ip#a", "ip#b", "ip#c"])
    assert {k: [e.click for e in s.entries] for k, s in got.items()} == {
        "ip#a": [1, 10],
        "ip#b": [2, 3, 11],
        "ip#c": [12],
    }


def test_a_write_that_finds_the_click_there_reads_it_from_its_own_answer(store):
    calls: list[str] = []
    store.db.meta.client.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: calls.append(model.name)
    )
    first = scored(click(1))
    assert store.put_clicks([first]) == {}
    again = scored(click(1))
    again.decision = "drop"
    found = store.put_clicks([again])  # a concurrent request stored it first
    assert found["c20131208-s1-000001"].decision == "charge"
    assert found["c20131208-s1-000001"].evidence == first.evidence
    existing = store.put_pending_dwell("c20131208-s1-000001", 5000)  # the click came meanwhile
    assert existing is not None and existing.click == first.click and existing.pending_dwell_ms is None
    assert calls == ["PutItem", "PutItem", "UpdateItem"]  # no read after a failed condition


def test_a_pulse_contended_past_its_retries_is_judged_unwritten_and_the_clicks_go_on(store, monkeypatch):
    """A head keyword's pulse that another batch rewrites before each of ours: the batch is
    scored on the pulse as it saw it, its clicks are stored, and the lost write is counted."""
    from chalicelib import observability
    from chalicelib.ingest import ClickIngest
    from chalicelib.storage.base import ListingPulse, PulseEntry

    write = DynamoStore._write_pulse
    rivals = iter(range(10**6, 2 * 10**6))

    def another_batch_first(self, old, new):
        if old.key.startswith("q:"):
            rival = PulseEntry(T0, next(rivals))
            write(self, old, ListingPulse(old.key, sorted([*old.entries, rival]), old.base, old.version))
        return write(self, old, new)

    monkeypatch.setattr(DynamoStore, "_write_pulse", another_batch_first)
    monkeypatch.setattr(observability, "_totals", observability.Counter())
    clicks = [click(n) for n in range(1, 4)]
    decisions = ClickIngest(store, Settings()).score_clicks(clicks)
    assert [d.click_id for d in decisions] == [c.click_id for c in clicks]
    assert set(store.get_clicks([c.click_id for c in clicks])) == {c.click_id for c in clicks}
    assert observability._totals["PulseWritesLost"] == 1  # the keyword's; the listing's was written
    stored = store.merge_pulses({"q:婴儿推车": [], "l:468071620405": []}, lambda pulse, new: None)
    ours = {c.ts for c in clicks}
    assert not ours & {e.ts for e in stored["q:婴儿推车"].entries}
    assert ours <= {e.ts for e in stored["l:468071620405"].entries}

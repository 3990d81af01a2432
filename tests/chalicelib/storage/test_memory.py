"""MemoryStore keeps DynamoStore's semantics: every scenario runs against both (DynamoStore on moto)."""

from __future__ import annotations

from chalicelib.config import Settings
from chalicelib.detect import pulse
from chalicelib.models import Click, Refund, SellerProfile, Source, refund_id_for
from chalicelib.storage.base import ActivityEntry, ClickRecord, PulseEntry

T0 = 1386482589120


def click(n: int, ts: int | None = None, advertiser: str = "S1") -> Click:
    return Click(
        click_id=f"c-{n}",
        ts=T0 + n * 1000 if ts is None else ts,
        advertiser_id=advertiser,
        listing_id="L9",
        cost_micros=1_000_000 + n,
        keyword="连衣裙",
        category="女装",
        source=Source(ip=f"10.0.0.{n % 250}", device_id=f"d{n}", user_agent="UA", account_id=f"a{n}"),
    )


def record(c: Click, decision: str = "charge") -> ClickRecord:
    return ClickRecord(
        click_id=c.click_id,
        click=c,
        fingerprint=c.fingerprint(),
        decision=decision,
        charged_micros=c.cost_micros if decision == "charge" else 0,
        score=0.1,
        reasons=[],
        evidence={"velocity": {"ip": {"60": 1}}, "rival": []},
    )


def refund_of(c: Click, stage: str = "sweep", reasons=("COORDINATED_CAMPAIGN",)) -> Refund:
    return Refund(
        refund_id=refund_id_for(c.click_id),
        click_id=c.click_id,
        advertiser_id=c.advertiser_id,
        listing_id=c.listing_id,
        keyword=c.keyword,
        click_ts=c.ts,
        refunded_at=T0,
        amount_micros=c.cost_micros,
        currency="CNY",
        stage=stage,
        kind="credited",
        reasons=list(reasons),
        campaign_id="cmp-1",
    )


DROP = {"decision": "drop", "score": 0.95, "reasons": ["COORDINATED_CAMPAIGN"], "evidence": {"x": 1}}


def test_click_is_stored_once_and_reads_are_fresh_copies(store):
    c = click(1)
    assert store.put_clicks([record(c)]) == {}
    again = store.put_clicks([record(c, decision="drop")])
    assert again["c-1"].decision == "charge"
    got = store.get_clicks(["c-1", "nope"])
    assert list(got) == ["c-1"]
    got["c-1"].evidence["rival"] = ["mutated"]
    assert store.get_clicks(["c-1"])["c-1"].evidence["rival"] == []
    assert got["c-1"].click == c


def test_pending_dwell_waits_for_its_click_and_keeps_the_first(store):
    c = click(2)
    assert store.put_pending_dwell("c-2", 5000) is None
    assert store.put_pending_dwell("c-2", 9000) is None
    assert store.get_clicks(["c-2"])["c-2"].pending_dwell_ms == 5000
    # Scored without seeing the stub: the stub comes back, the click is not stored over it.
    (stub,) = store.put_clicks([record(c)]).values()
    assert (stub.click, stub.pending_dwell_ms) == (None, 5000)
    seen = record(c)
    seen.pending_dwell_ms = 5000
    assert store.put_clicks([seen]) == {}  # the click replaces the stub it was scored with
    assert store.put_pending_dwell("c-2", 7000).click == c


def test_apply_dwell_once_and_never_over_a_refund(store):
    a, b = click(3), click(4)
    store.put_clicks([record(a), record(b)])
    assert store.apply_dwell("c-3", 10_000, None, None) is True
    assert store.apply_dwell("c-3", 11_000, None, None) is False
    assert store.get_clicks(["c-3"])["c-3"].dwell_ms == 10_000
    assert store.claim_refund(store.get_clicks(["c-4"])["c-4"], refund_of(b), DROP) is True
    outcome = {"decision": "charge", "score": 0.2, "reasons": [], "evidence": {}}
    assert store.apply_dwell("c-4", 10_000, outcome, None) is False
    assert store.apply_dwell("nope", 10_000, None, None) is False


def test_apply_dwell_with_refund_claims_it(store):
    c = click(5)
    store.put_clicks([record(c)])
    assert store.apply_dwell("c-5", 500, DROP, refund_of(c, stage="dwell")) is True
    got = store.get_clicks(["c-5"])["c-5"]
    assert (got.refund_id, got.decision, got.reasons, got.dwell_ms) == (
        refund_id_for("c-5"),
        "drop",
        ["COORDINATED_CAMPAIGN"],
        500,
    )


def test_refund_is_claimed_at_most_once(store):
    c = click(6)
    store.put_clicks([record(c)])
    rec = store.get_clicks(["c-6"])["c-6"]
    assert store.claim_refund(rec, refund_of(c), DROP) is True
    assert store.claim_refund(rec, refund_of(c), DROP) is False
    got = store.get_clicks(["c-6"])["c-6"]
    assert (got.refund_id, got.campaign_id, got.decision) == (refund_id_for("c-6"), "cmp-1", "drop")
    assert store.claim_refund(ClickRecord(click_id="never"), refund_of(click(99)), DROP) is False


def test_refunds_newest_first_paged_and_filtered(store):
    clicks = [click(n) for n in range(10, 16)]
    store.put_clicks([record(c) for c in clicks])
    for c in clicks:
        reasons = ("DUPLICATE_CLICK",) if c.click_id == "c-12" else ("COORDINATED_CAMPAIGN",)
        store.put_refund(refund_of(c, reasons=reasons))
        store.put_refund(refund_of(c, reasons=reasons))  # idempotent
    page, after = store.query_refunds("S1", None, None, 4, None, None)
    assert [r.click_id for r in page] == ["c-15", "c-14", "c-13", "c-12"]
    rest, last = store.query_refunds("S1", None, None, 4, after, None)
    assert ([r.click_id for r in rest], last) == (["c-11", "c-10"], None)
    whole, last = store.query_refunds("S1", None, None, 6, None, None)
    assert (len(whole), last) == (6, None)  # a full last page: no cursor to an empty one
    only, _ = store.query_refunds("S1", None, None, 10, None, "DUPLICATE_CLICK")
    assert [r.click_id for r in only] == ["c-12"]
    window, _ = store.query_refunds("S1", T0 + 11_000, T0 + 13_000, 10, None, None)
    assert [r.click_id for r in window] == ["c-13", "c-12", "c-11"]
    assert store.query_refunds("S2", None, None, 10, None, None) == ([], None)


def test_a_claimed_refund_reads_written_once_its_record_is(store):
    c = click(16)
    dropped = record(c, "drop")
    dropped.refund_id = refund_id_for(c.click_id)
    store.put_clicks([dropped])
    (got,) = store.get_clicks(["c-16"]).values()
    store.find_written_refunds([got])
    assert got.refund_written is False  # cut off before the refund
    store.put_refund(refund_of(c, stage="realtime"))
    (got,) = store.get_clicks(["c-16"]).values()
    assert got.refund_written is False  # reading the click does not look for its refund
    store.find_written_refunds([got])
    assert got.refund_written is True


def test_source_activity_merges_idempotently_and_keeps_the_newest(store):
    entries = [ActivityEntry(T0 + i, i, 7, 9) for i in range(5)]
    store.merge_sources({"ip#1.2.3.4": entries[:3]}, keep=4)
    store.merge_sources({"ip#1.2.3.4": entries[:3]}, keep=4)
    assert store.get_sources(["ip#1.2.3.4"])["ip#1.2.3.4"].entries == entries[:3]
    store.merge_sources({"ip#1.2.3.4": entries[2:]}, keep=4)
    assert store.get_sources(["ip#1.2.3.4", "ip#none"])["ip#1.2.3.4"].entries == entries[1:]
    assert "ip#none" not in store.get_sources(["ip#none"])


def test_listing_pulses_fold_a_batch_once_per_listing(store):
    cfg = Settings()

    def advance(p, new):
        return pulse.advance(p, new, cfg)

    batch = {"L1": [PulseEntry(T0, 1), PulseEntry(T0 + 5, 2)], "L2": [PulseEntry(T0, 3, 9_000)]}
    first = store.merge_pulses(batch, advance)
    assert [e.click for e in first["L1"].entries] == [1, 2] and first["L2"].entries[0].dwell == 9_000
    again = store.merge_pulses(batch, advance)  # a retry of the batch
    assert again["L1"].entries == first["L1"].entries and again["L1"].version == first["L1"].version
    stay = store.merge_pulses({"L1": [PulseEntry(T0, 1, 12_000)]}, advance)["L1"]
    assert [e.dwell for e in stay.entries] == [12_000, -1] and stay.version == first["L1"].version + 1


def test_seller_profile_links_and_unlinks_identities(store):
    store.put_seller(SellerProfile("S7", ("女装",), ("a1",), ("d1",), ("1.1.1.1",)))
    assert store.get_sources(["acct#a1"])["acct#a1"].owners == frozenset({"S7"})
    store.put_seller(SellerProfile("S7", ("女装",), ("a2",), (), ()))
    sources = store.get_sources(["acct#a1", "acct#a2", "dev#d1"])
    assert sources["acct#a2"].owners == frozenset({"S7"})
    assert not sources.get("acct#a1") or sources["acct#a1"].owners == frozenset()
    assert store.get_sellers(["S7", "S8"])["S7"].account_ids == ("a2",)


def test_clicks_between_and_per_advertiser(store):
    cs = [click(n, ts=T0 + n * 60_000, advertiser="S1" if n % 2 else "S2") for n in range(20, 26)]
    store.put_clicks([record(c) for c in cs])
    store.put_pending_dwell("c-stub", 100)  # stubs are not clicks
    store.index_clicks([record(c) for c in cs])
    between = sorted(r.click_id for r in store.iter_clicks_between(T0 + 21 * 60_000, T0 + 24 * 60_000))
    assert between == ["c-21", "c-22", "c-23"]
    s1 = list(store.iter_advertiser_clicks("S1", T0 + 21 * 60_000, T0 + 25 * 60_000))
    assert [(a.ts, a.cost_micros, a.charged_micros) for a in s1] == [
        (T0 + n * 60_000, 1_000_000 + n, 1_000_000 + n) for n in (21, 23, 25)
    ]


def test_newest_event_time_only_moves_forward(store):
    assert store.newest_click_ts() is None
    store.note_event_time(T0 + 5)
    store.note_event_time(T0)
    assert store.newest_click_ts() == T0 + 5

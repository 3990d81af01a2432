import random

from chalicelib.storage.base import (
    NO_DWELL,
    ActivityEntry,
    PulseEntry,
    merge_entries,
    pack_entries,
    pack_pulse,
    unpack_entries,
    unpack_pulse,
)


def test_merge_is_idempotent_and_keeps_the_newest():
    old = [ActivityEntry(1, 1, 0, 0), ActivityEntry(2, 2, 0, 0)]
    new = [ActivityEntry(3, 3, 0, 0), ActivityEntry(2, 2, 0, 0)]
    merged = merge_entries(old, new, keep=2)
    assert merged == [ActivityEntry(2, 2, 0, 0), ActivityEntry(3, 3, 0, 0)]
    assert merge_entries(merged, new, keep=2) == merged


def test_pack_round_trip_fits_a_write_unit():
    entries = [ActivityEntry(1386482589120 + i, i, i * 7, i * 9) for i in range(48)]
    blob = pack_entries(entries)
    assert unpack_entries(blob) == entries
    assert len(blob) <= 1000


def test_a_pulse_packs_losslessly_and_a_full_ring_fits_a_write_unit():
    rnd = random.Random(5)
    ts = 1386482589120
    ring = []
    for _ in range(80):  # the most a pulse keeps: 48 clicks and 32 stays
        ts += rnd.randrange(0, 90_000)
        stay = rnd.choice([NO_DWELL, rnd.randrange(0, 600_000)])
        ring.append(PulseEntry(ts, rnd.randrange(2**32), stay, owner=rnd.random() < 0.3))
    blob = pack_pulse(ring)
    assert unpack_pulse(blob) == ring
    assert len(blob) <= 850  # with the key and the other attributes, under DynamoDB's 1 KB unit
    odd = [PulseEntry(10**13, 2**32 - 1, 86_400_000), PulseEntry(0, 0, NO_DWELL), PulseEntry(5, 7, 0)]
    assert unpack_pulse(pack_pulse(odd)) == odd  # any order, any span, nothing capped
    assert unpack_pulse(None) == unpack_pulse(b"") == []


def test_a_pulse_stored_before_the_owner_bits_reads_with_no_owners():
    # Two entries as packed before the owner bits: a stay of 10 s, then a click 5 s later.
    blob = b"\x80\xf7\xea\x8c\xdaP\x00\x00\x00\x07\x91N\x90N\x00\x00\x00\t\x00"
    old = [PulseEntry(1386482589120, 7, 10_000), PulseEntry(1386482594120, 9, NO_DWELL)]
    assert unpack_pulse(blob) == old

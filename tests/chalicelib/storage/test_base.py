from chalicelib.storage.base import ActivityEntry, merge_entries, pack_entries, unpack_entries


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

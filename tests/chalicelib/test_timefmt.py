from chalicelib.timefmt import format_time, parse_time


def test_parse_and_format():
    assert parse_time("2013-12-08T14:03:09.120+08:00") == 1386482589120
    assert parse_time("2013-12-08T06:03:09.120Z") == 1386482589120
    assert parse_time("2013-12-08T06:03:09.123456789Z") == 1386482589123
    assert parse_time(1386482589120) == 1386482589120
    assert format_time(1386482589120) == "2013-12-08T06:03:09.120Z"


def test_rejects_what_is_not_a_time():
    for bad in ("2013-12-08", "2013-12-08T06:03:09", "2013-02-30T00:00:00Z", True, 1.5, -1, None, "x"):
        assert parse_time(bad) is None

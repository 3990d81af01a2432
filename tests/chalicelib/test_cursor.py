import pytest

from chalicelib import cursor
from chalicelib.errors import BadRequestError


def test_round_trip_and_scope_binding():
    token = cursor.encode("s" * 32, {"m": "S1"}, "000#c-1")
    assert cursor.decode("s" * 32, {"m": "S1"}, token) == "000#c-1"
    assert cursor.decode("s" * 32, {"m": "S1"}, None) is None
    for secret, scope, tok in (
        ("t" * 32, {"m": "S1"}, token),
        ("s" * 32, {"m": "S2"}, token),
        ("s" * 32, {"m": "S1"}, "garbage"),
        ("s" * 32, {"m": "S1"}, token[:-3]),
    ):
        with pytest.raises(BadRequestError, match="^cursor"):
            cursor.decode(secret, scope, tok)

"""The services built from the environment: one store per thread, reused within it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from chalicelib import wiring


def test_each_thread_gets_its_own_store_and_keeps_it(dynamodb, monkeypatch):
    # boto3 resources are not thread-safe (a query's key condition is numbered in shared state):
    # chalice local's connection threads and make run's scheduled sweep must not share one.
    here = wiring.store()
    assert wiring.store() is here
    with ThreadPoolExecutor(1) as pool:
        there, again = pool.submit(lambda: (wiring.store(), wiring.store())).result()
    assert there is again
    assert there is not here and there.db is not here.db
    monkeypatch.setenv("FG_DROP_SCORE", "0.6")  # other settings: another store, the same resource
    other = wiring.store()
    assert other is not here and other.db is here.db and other.cfg.drop_score == 0.6

"""`make run`'s scheduled sweep on event time (chalice local runs no schedules)."""

from __future__ import annotations

import io
from dataclasses import replace
from itertools import groupby

from chalicelib import wiring
from chalicelib.config import Settings
from chalicelib.ingest import ClickIngest
from chalicelib.storage.campaigns import campaign_store
from guardctl.schedules import EventTimeSchedule, ScheduledFunction, scheduled_functions
from tests.chalicelib.detect.scenes import MINUTE, scene


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def schedule_of(handler, newest, clock):
    return EventTimeSchedule(ScheduledFunction("scheduled_sweep", 60, handler), newest, clock, io.StringIO())


def test_the_apps_sweep_is_scheduled_at_its_deployed_rate():
    from app import app

    (function,) = scheduled_functions(app)
    assert (function.name, function.every_s) == ("scheduled_sweep", 60)
    assert function.handler is app.handler_map["scheduled_sweep"]


def test_it_fires_each_minute_of_event_time_however_fast_the_replay_and_each_minute_of_the_clock():
    runs, clock, newest = [], Clock(), {"ts": None}
    schedule = schedule_of(lambda event, context: runs.append(event), lambda: newest["ts"], clock)
    assert not schedule.tick()  # no traffic yet
    newest["ts"] = 10 * MINUTE
    assert schedule.tick()
    newest["ts"] += 59_000  # less than a minute of event time, no time on the clock
    assert not schedule.tick()
    newest["ts"] += 1_000
    assert schedule.tick()  # a minute of event time, although the clock has not moved
    clock.now += 60  # a quiet minute: swept again as deployed (late dwell reports)
    assert schedule.tick()
    assert schedule.runs == len(runs) == 3
    assert runs[0]["detail-type"] == "Scheduled Event"


def test_a_failed_run_is_reported_and_retried_a_rate_of_the_clock_later():
    calls, clock, newest = [], Clock(), {"ts": 10 * MINUTE}

    def handler(event, context):
        calls.append(event)
        if len(calls) == 1:
            raise ConnectionError("DynamoDB Local went away")

    schedule = schedule_of(handler, lambda: newest["ts"], clock)
    assert not schedule.tick()
    assert "scheduled_sweep: ConnectionError: DynamoDB Local went away" in schedule.err.getvalue()
    newest["ts"] += 5 * MINUTE
    clock.now += 30
    assert not schedule.tick() and len(calls) == 1  # not retried every poll
    clock.now += 30
    assert schedule.tick() and (schedule.runs, schedule.failures) == (1, 1)


def test_a_replay_gets_its_campaign_from_the_schedule_without_a_sweep_call(dynamodb):
    from app import app

    (function,) = scheduled_functions(app)
    store = wiring.store()
    schedule = EventTimeSchedule(function, store.newest_click_ts, Clock(), io.StringIO())
    # The pulse is off so the crew is charged at click time and only a sweep can credit it.
    ingest = ClickIngest(store, replace(Settings(), pulse_min_clicks=10**9))
    s = scene(quiet=300, viral=False)
    for _, five_minutes in groupby(s.ordered(), key=lambda c: c.ts // (5 * MINUTE)):
        batch = list(five_minutes)
        ingest.score_clicks(batch)
        if reports := [(c.click_id, s.dwell[c.click_id]) for c in batch if c.click_id in s.dwell]:
            ingest.report_dwell(reports)
        schedule.tick()
    (campaign,) = campaign_store(store).ending_after(0)
    assert campaign.listings == ["LX"]
    page, _ = store.query_refunds("BIG", None, None, 1000, None, None)
    swept = {r.click_id for r in page if r.stage == "sweep"}
    assert swept <= s.attack and len(swept) >= 0.8 * len(s.attack)
    assert 1 < schedule.runs <= 43 and schedule.failures == 0

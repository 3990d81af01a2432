"""The app's scheduled functions under `make run`, which `chalice local` never runs.

Deployed, EventBridge runs `scheduled_sweep` at its rate (every minute), and live clicks' event
time follows the clock, so every minute of traffic is swept as it comes. Locally the traffic is
often a replay, whose event time runs far ahead of the clock; a clock-driven schedule would then
sweep once per hours of traffic, and campaigns (and the click-time drops of their members) would
appear only after the attacks were over. So a local schedule fires on event time: when the newest
event time seen has moved a rate past the one it last fired at (as often as one run after another
allows), and at least once per rate of the clock while there is traffic, as deployed (dwell
reports arrive after their clicks and can still change what a sweep finds).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

RATE_UNIT_SECONDS = {"MINUTES": 60, "HOURS": 3600, "DAYS": 86400}  # chalice.Rate's units


@dataclass(frozen=True)
class ScheduledFunction:
    name: str
    every_s: int
    handler: Callable


def scheduled_functions(app) -> list[ScheduledFunction]:
    """The app's `@app.schedule` functions with a `Rate` (a cron expression has no event-time
    reading and is left out)."""
    found = []
    for source in app.event_sources:
        rate = getattr(source, "schedule_expression", None)
        if getattr(rate, "unit", None) in RATE_UNIT_SECONDS:
            every_s = rate.value * RATE_UNIT_SECONDS[rate.unit]
            found.append(ScheduledFunction(source.name, every_s, app.handler_map[source.name]))
    return found


def scheduled_event(name: str, now_ms: int) -> dict:
    """The EventBridge event a deployed scheduled function receives."""
    return {
        "version": "0",
        "id": f"local-{name}-{now_ms}",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now_ms / 1000)),
        "region": "us-east-1",
        "resources": [f"arn:aws:events:us-east-1:123456789012:rule/clickguard-local-{name}"],
        "detail": {},
    }


class EventTimeSchedule:
    """Fires one scheduled function on event time (see the module docstring)."""

    def __init__(
        self,
        function: ScheduledFunction,
        newest_event_ms: Callable[[], int | None],
        clock: Callable[[], float] = time.monotonic,
        err=sys.stderr,
    ):
        self.function = function
        self.newest_event_ms = newest_event_ms
        self.clock = clock
        self.err = err
        self.fired_at_event_ms: int | None = None
        self.fired_at_clock: float | None = None
        self.retry_at = float("-inf")
        self.runs = 0
        self.failures = 0

    def due(self, newest: int | None, now: float) -> bool:
        if newest is None or now < self.retry_at:
            return False  # no traffic yet, or the last run failed a moment ago
        if self.fired_at_event_ms is None:
            return True
        return (
            newest - self.fired_at_event_ms >= self.function.every_s * 1000
            or now - self.fired_at_clock >= self.function.every_s
        )

    def tick(self) -> bool:
        """Run the function if it is due; True if it ran. A failure is reported and retried a
        rate of the clock later, never raised: the server keeps serving."""
        now = self.clock()
        try:
            newest = self.newest_event_ms()
            if not self.due(newest, now):
                return False
            event = scheduled_event(self.function.name, int(time.time() * 1000))
            self.function.handler(event, _context(self.function))
        except Exception as exc:  # whatever broke, a later tick tries again
            self.failures += 1
            self.retry_at = now + self.function.every_s
            print(f"schedule {self.function.name}: {type(exc).__name__}: {exc}", file=self.err, flush=True)
            return False
        self.fired_at_event_ms, self.fired_at_clock = newest, now
        self.runs += 1
        return True

    def run(self, stop: threading.Event, poll_s: float = 1.0) -> None:
        while not stop.wait(poll_s):
            self.tick()


def _context(function: ScheduledFunction):
    from chalice.local import LambdaContext

    # The app's scheduled functions read nothing from their context; the size is chalice's default.
    return LambdaContext(function.name, memory_size=128)


def start(app, newest_event_ms: Callable[[], int | None], err=sys.stderr) -> tuple[threading.Event, list]:
    """Start a daemon thread per scheduled function; set the returned event to stop them."""
    stop = threading.Event()
    schedules = [EventTimeSchedule(f, newest_event_ms, err=err) for f in scheduled_functions(app)]
    for schedule in schedules:
        name = f"schedule-{schedule.function.name}"
        threading.Thread(target=schedule.run, args=(stop,), name=name, daemon=True).start()
    return stop, schedules

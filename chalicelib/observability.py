"""Logging, metrics and tracing (AWS Lambda Powertools), configured once for the whole app."""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

SERVICE = "clickguard"

logger = Logger(service=SERVICE)
# Lambda's runtime puts a handler on the root logger: propagating would print every line twice.
logging.getLogger(SERVICE).propagate = False
# Outside Lambda (tests, chalice local) there is no X-Ray daemon: trace only when deployed.
tracer = Tracer(service=SERVICE, disabled="AWS_LAMBDA_FUNCTION_NAME" not in os.environ)
metrics = Metrics(namespace="ClickGuard", service=SERVICE)

_UNITS = {"RefundedMicros": MetricUnit.Count}
# Summed here and handed to powertools once per invocation: it keeps every value it is given and
# prints them at 100 per metric (even with POWERTOOLS_METRICS_DISABLED), where one sum will do.
_totals: Counter = Counter()
_totals_lock = threading.Lock()


def metrics_add(name: str, value: int) -> None:
    """Add to a business metric; flushed as EMF once per invocation by the Lambda handlers."""
    if value:
        with _totals_lock:
            _totals[name] += value


def flush_metrics() -> None:
    """Publish this invocation's metrics (EMF on stdout) unless POWERTOOLS_METRICS_DISABLED."""
    with _totals_lock:
        totals = dict(_totals)
        _totals.clear()
    for name, value in totals.items():
        metrics.add_metric(name=name, unit=_UNITS.get(name, MetricUnit.Count), value=value)
    if metrics.metric_set:
        metrics.flush_metrics()
        metrics.clear_metrics()

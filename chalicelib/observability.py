"""Logging, metrics and tracing (AWS Lambda Powertools), configured once for the whole app."""

from __future__ import annotations

import logging
import os

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


def metrics_add(name: str, value: int) -> None:
    """Add to a business metric; flushed as EMF once per invocation by the Lambda handlers."""
    if value:
        metrics.add_metric(name=name, unit=_UNITS.get(name, MetricUnit.Count), value=value)


def flush_metrics() -> None:
    """Publish this invocation's metrics (EMF on stdout) unless POWERTOOLS_METRICS_DISABLED."""
    if metrics.metric_set:
        metrics.flush_metrics()
        metrics.clear_metrics()

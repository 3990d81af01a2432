"""Many requests at once for the same click: one stored decision, at most one refund.

These run on DynamoDB Local (`make test-local`): moto applies a conditional write's check and its
write without a lock, so two threads can both pass a condition that real DynamoDB lets one pass.
"""

from concurrent.futures import ThreadPoolExecutor

from chalicelib import wiring
from chalicelib.config import settings
from chalicelib.ingest import new_refund
from chalicelib.models import KIND_CREDITED, STAGE_SWEEP
from chalicelib.validation import parse_click
from tests.conftest import atomic_conditions, make_click

THREADS = 12

pytestmark = atomic_conditions


def click(n, **overrides):
    return parse_click(make_click(n, **overrides), "click", settings(), 10**13)


def test_one_click_id_from_many_requests_is_decided_once(dynamodb):
    bot = click(1, source={"user_agent": "curl/8.0"})
    ingest = wiring.ingest()
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(lambda _: ingest.score_clicks([bot])[0], range(THREADS)))
    assert sum(1 for r in results if not r.replayed) == 1
    assert {(r.decision, r.refund_id) for r in results} == {("drop", results[0].refund_id)}
    refunds, _ = wiring.store().query_refunds("S1", None, None, 100, None, None)
    assert [r.click_id for r in refunds] == ["c-1"]


def test_a_dwell_credit_and_a_sweep_credit_at_once_give_one_refund(dynamodb, strict_dwell):
    ingest, store = wiring.ingest(), wiring.store()
    ingest.score_clicks([click(1)])
    record = store.get_clicks(["c-1"])["c-1"]
    outcome = {"decision": "drop", "score": 0.95, "reasons": ["COORDINATED_CAMPAIGN"], "evidence": {}}

    def sweep_credit(_):
        refund = new_refund(record, outcome, STAGE_SWEEP, KIND_CREDITED, 0)
        if store.claim_refund(record, refund, outcome):
            store.put_refund(refund)
            return "sweep"
        return None

    def dwell_credit(_):
        ingest.report_dwell([("c-1", 200)])
        return "dwell"

    with ThreadPoolExecutor(THREADS) as pool:
        jobs = [pool.submit(sweep_credit if i % 2 else dwell_credit, i) for i in range(THREADS)]
        [job.result() for job in jobs]
    refunds, _ = store.query_refunds("S1", None, None, 100, None, None)
    assert len(refunds) == 1
    final = store.get_clicks(["c-1"])["c-1"]
    assert final.refund_id == refunds[0].refund_id and final.dwell_ms == 200

"""Click guard: routes, auth and event sources. Everything else lives in chalicelib."""

from chalice import Chalice, Rate, Response

from chalicelib import lookup, merchant, stream, sweep, validation, web, wiring
from chalicelib.auth import ADSERVER, ANALYST, MERCHANT, authenticate, jwt_secret
from chalicelib.config import VERSION, settings
from chalicelib.errors import NotFoundError, ServiceUnavailableError
from chalicelib.observability import flush_metrics, logger

app = Chalice(app_name="clickguard", configure_logs=False)
app.log = logger
wiring.load_deployed_secret()


def caller(*roles):
    """The authenticated principal, if it holds one of `roles` (401 / 403 otherwise)."""
    return authenticate(app.current_request.headers).require(*roles)


def merchant_reader(merchant_id):
    """A caller allowed to read this merchant's data: the merchant itself, or an analyst."""
    who = caller(MERCHANT, ANALYST)
    return who.require_merchant_access(validation.parse_id(merchant_id, "merchant_id"))


def body():
    return validation.parse_body(app.current_request.raw_body, settings())


def params():
    return dict(app.current_request.query_params or {})


@app.middleware("http")
def retry_after_and_metrics(event, get_response):
    response = get_response(event)
    if response.status_code == ServiceUnavailableError.STATUS_CODE:
        response.headers["Retry-After"] = str(ServiceUnavailableError.RETRY_AFTER_S)
    flush_metrics()
    return response


@app.route("/v1/health")
def health():
    return {"status": "ok", "version": VERSION}


@app.route("/v1/openapi.json")
def openapi_document():
    return web.openapi_document(app.current_request)


@app.route("/dashboard")
def dashboard():
    return web.dashboard_page(app.current_request)


@app.route("/dashboard/app.js")
def dashboard_script():
    return web.dashboard_asset("app.js", app.current_request)


@app.route("/dashboard/style.css")
def dashboard_style():
    return web.dashboard_asset("style.css", app.current_request)


@app.route("/v1/clicks", methods=["POST"])
def post_clicks():
    caller(ADSERVER)
    clicks = validation.parse_clicks(body(), settings())
    return {"results": [d.to_json() for d in wiring.ingest().score_clicks(clicks)]}


@app.route("/v1/dwell", methods=["POST"])
def post_dwell():
    caller(ADSERVER)
    reports = validation.parse_dwell(body(), settings())
    return {"results": wiring.ingest().report_dwell(reports)}


@app.route("/v1/sellers/{seller_id}", methods=["PUT"])
def put_seller(seller_id):
    caller(ADSERVER)
    profile = validation.parse_profile(seller_id, body(), settings())
    wiring.store().put_seller(profile)
    return profile.to_json()


@app.route("/v1/clicks/{click_id}")
def get_click(click_id):
    who = caller(ADSERVER, ANALYST, MERCHANT)
    return lookup.click_view(wiring.store(), validation.parse_id(click_id, "click_id"), who)


@app.route("/v1/merchants/{merchant_id}/refunds")
def list_refunds(merchant_id):
    merchant_reader(merchant_id)
    q = params()
    start, end = validation.query_range(q)
    query = {"from": start, "to": end, "reason": validation.query_reason(q)}
    fmt = validation.query_choice(q, "format", ("json", "csv"), "json")
    limit = validation.query_limit(q, settings())
    refunds, next_cursor = merchant.list_refunds(
        wiring.store(), jwt_secret(), merchant_id, query, limit, q.get("cursor")
    )
    if fmt == "csv":
        headers = {"Content-Type": "text/csv; charset=utf-8"}
        if next_cursor:
            headers["X-Next-Cursor"] = next_cursor
        return Response(merchant.refunds_csv(refunds), headers=headers)
    return {"refunds": [r.to_json() for r in refunds], "next_cursor": next_cursor}


@app.route("/v1/merchants/{merchant_id}/refunds/summary")
def refunds_summary(merchant_id):
    merchant_reader(merchant_id)
    q = params()
    start, end = validation.query_range(q)
    bucket = validation.query_choice(q, "bucket", ("hour", "day"), "hour")
    return merchant.summary(wiring.store(), merchant_id, start, end, bucket)


@app.route("/v1/sweeps", methods=["POST"])
def post_sweep():
    caller(ADSERVER, ANALYST)
    return sweep.run_sweep(wiring.store(), settings(), validation.parse_until(body()))


@app.route("/v1/campaigns")
def list_campaigns():
    caller(ANALYST)
    q = params()
    start, end = validation.query_range(q)
    return sweep.list_campaigns(
        wiring.store(),
        start,
        end,
        validation.query_limit(q, settings()),
        q.get("cursor"),
        jwt_secret(),
    )


@app.route("/v1/campaigns/{campaign_id}")
def get_campaign(campaign_id):
    caller(ANALYST)
    found = sweep.get_campaign(wiring.store(), validation.parse_id(campaign_id, "campaign_id"))
    if found is None:
        raise NotFoundError(f"campaign {campaign_id} is unknown")
    return found


@app.on_kinesis_record(
    stream=stream.STREAM_NAME,
    batch_size=1000,
    starting_position="TRIM_HORIZON",
    maximum_batching_window_in_seconds=1,
)
def clicks_stream(event):
    records = event.to_dict()["Records"]
    response = stream.handle_event(records, wiring.ingest(), stream.parking_from_env(), settings())
    flush_metrics()
    return response


@app.schedule(Rate(1, unit=Rate.MINUTES))
def scheduled_sweep(event):
    result = sweep.run_sweep(wiring.store(), settings(), None)
    logger.info("scheduled sweep", extra={"refunds_written": result["refunds_written"]})
    flush_metrics()

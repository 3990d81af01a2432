"""Deployability: `chalice package --merge-template infra/resources.json` and the template it makes.

One `chalice package` run per session (about 15-30 s with a warm pip cache: chalice downloads the
manylinux wheels for the Lambda runtime) into a temporary copy of the project, so nothing is cached
in the repository (chalice keeps its zip in `<project>/.chalice/deployments/`). Needs PyPI.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from chalicelib.config import TABLE_ENV
from chalicelib.storage import schema

ROOT = Path(__file__).resolve().parents[1]
FRAGMENT = ROOT / "infra" / "resources.json"
MISSING_DEPS = "Could not install dependencies"
SECRET_PARAM = "JwtSecretParameterName"
DEFAULT_SECRET_NAME = "/clickguard/dev/jwt-secret"
DATA_POLICY = "FunctionDataAccessPolicy"
# Exactly what chalicelib/storage/dynamodb.py calls (batch_get_item, batch_write_item for the
# pages, get_item, put_item, update_item, query, and transact_write_items, which needs the
# action of each part: a ConditionCheck needs ConditionCheckItem). Anything more (DeleteItem,
# Scan, "dynamodb:*") is a finding.
DYNAMODB_ACTIONS = {
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
}
# X-Ray has no resource-level permissions: the only actions allowed on "*".
STAR_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
# The static policy file (.chalice/policy-*.json) may name log groups by ARN pattern; every other
# resource must be an intrinsic (Ref, GetAtt, Sub) of something in the stack.
STRING_RESOURCE_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}
KINESIS_CONSUMER_ACTIONS = {
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
}
# Lambda's python3.11 runtime runs on Amazon Linux 2 (glibc 2.26); numpy >= 2.3 ships only
# manylinux_2_28 wheels, which is why requirements.txt pins numpy 2.2.6.
RUNTIME_ABI = {"python3.11": ("cp311", (2, 26)), "python3.12": ("cp312", (2, 34))}
ELF_MACHINE = {"x86_64": 62, "arm64": 183}
WHEEL_MACHINE = {"x86_64": "x86_64", "arm64": "aarch64"}
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024


def _tool(name: str) -> str:
    """The project virtualenv's console script (the one running the tests, or .venv)."""
    for bindir in (Path(sys.executable).parent, ROOT / ".venv" / "bin"):
        if (bindir / name).exists():
            return str(bindir / name)
    pytest.fail(f"{name} is not installed in the dev virtualenv")


def _copy_project(dest: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copy2(ROOT / "app.py", dest / "app.py")
    shutil.copy2(ROOT / "requirements.txt", dest / "requirements.txt")
    shutil.copytree(ROOT / "chalicelib", dest / "chalicelib", ignore=ignore)
    if (ROOT / "vendor").is_dir():
        shutil.copytree(ROOT / "vendor", dest / "vendor", ignore=ignore)
    (dest / ".chalice").mkdir()
    for path in (ROOT / ".chalice").glob("*.json"):
        shutil.copy2(path, dest / ".chalice" / path.name)


@pytest.fixture(scope="module")
def packaged(tmp_path_factory):
    project = tmp_path_factory.mktemp("project")
    out = tmp_path_factory.mktemp("package") / "out"
    _copy_project(project)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FG_", "AWS_LAMBDA_"))}
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # chalice needs one for service principals
    proc = subprocess.run(
        [
            _tool("chalice"),
            "package",
            "--stage",
            "dev",
            "--merge-template",
            str(FRAGMENT),
            str(out),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    template = None
    if proc.returncode == 0:
        template = json.loads((out / "sam.json").read_text())
    return {"proc": proc, "out": out, "template": template}


@pytest.fixture(scope="module")
def template(packaged):
    if packaged["template"] is None:
        proc = packaged["proc"]
        pytest.fail(f"chalice package failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return packaged["template"]


@pytest.fixture(scope="module")
def bundle(packaged, template):
    with zipfile.ZipFile(packaged["out"] / "deployment.zip") as zf:
        yield zf


def _resources(template, type_):
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def _functions(template):
    functions = _resources(template, "AWS::Serverless::Function")
    assert {"APIHandler", "ScheduledSweep"} <= set(functions)
    return functions


def _fragment():
    return json.loads(FRAGMENT.read_text())


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _requirements() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep, f"requirements.txt: pin every runtime dependency exactly ({line!r})"
            pins[_normalise(name)] = version.strip()
    return pins


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _statements(document):
    """Policy statements, with both branches of a Fn::If (the conditional KMS statement)."""
    for item in _as_list(document["Statement"]):
        if isinstance(item, dict) and "Fn::If" in item:
            for branch in item["Fn::If"][1:]:
                if branch != {"Ref": "AWS::NoValue"}:
                    yield branch
        else:
            yield item


def _intrinsics(node, path="$"):
    if isinstance(node, dict):
        if any(k == "Ref" or k.startswith("Fn::") for k in node):
            yield path, node
        for k, v in node.items():
            yield from _intrinsics(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _intrinsics(v, f"{path}[{i}]")


def _policy_statements(template):
    for logical_id, res in template["Resources"].items():
        if res["Type"] == "AWS::IAM::Role":
            for policy in res["Properties"].get("Policies", []):
                for st in _statements(policy["PolicyDocument"]):
                    yield logical_id, st
        elif res["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            for st in _statements(res["Properties"]["PolicyDocument"]):
                yield logical_id, st


# ---- the fragment itself (fast) ----


def test_fragment_resources_are_typed_for_schema_loader():
    # chalicelib/storage/schema.py reads every resource's Type to find the tables.
    resources = _fragment()["Resources"]
    assert all("Type" in res for res in resources.values())
    assert set(schema.table_specs()) == set(schema.LOGICAL_IDS.values())


def test_gateway_errors_keep_the_contract_shape():
    """API Gateway's own errors (an unknown route, throttling, a body past 10 MB) answer in
    Chalice's shape, and an unknown route is a 404 as the contract says, not a 403."""
    responses = _fragment()["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"
    for name, response in responses.items():
        body = response["ResponseTemplates"]["application/json"]
        filled = body.replace("$context.error.responseType", "THROTTLED")
        filled = filled.replace("$context.error.messageString", '"Too Many Requests"')
        assert set(json.loads(filled)) == {"Code", "Message"}, name


# ---- chalice package ----


@pytest.mark.slow
def test_package_builds_without_missing_dependencies(packaged):
    proc = packaged["proc"]
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    assert MISSING_DEPS not in proc.stdout
    assert MISSING_DEPS not in proc.stderr
    assert (packaged["out"] / "sam.json").is_file()
    assert (packaged["out"] / "deployment.zip").is_file()


@pytest.mark.slow
def test_zip_vendors_every_runtime_dependency(bundle):
    names = bundle.namelist()
    tops = {n.split("/", 1)[0] for n in names}
    for package in ("numpy", "jwt", "aws_lambda_powertools", "aws_xray_sdk", "crawleruseragents"):
        assert package in tops, f"{package} is not in deployment.zip"
    assert "app.py" in names
    assert "chalicelib/__init__.py" in names
    assert "chalicelib/storage/dynamodb.py" in names
    # The exact pinned versions, not whatever pip resolved.
    dist_infos = {
        _normalise(m.group(1)): m.group(2)
        for top in tops
        if (m := re.fullmatch(r"(.+)-([^-]+)\.dist-info", top))
    }
    for name, version in _requirements().items():
        assert dist_infos.get(name) == version, f"{name}=={version} not vendored"
    # The X-Ray SDK pulls botocore in; boto3 is pinned beside it so the two always match
    # instead of a vendored botocore meeting the runtime's older boto3.
    assert dist_infos["boto3"] == dist_infos["botocore"]
    total = sum(info.file_size for info in bundle.infolist())
    assert total < LAMBDA_UNZIPPED_LIMIT


@pytest.mark.slow
def test_numpy_binaries_match_the_lambda_runtime(bundle, template):
    fn = template["Resources"]["APIHandler"]["Properties"]
    abi, (glibc_major, glibc_minor) = RUNTIME_ABI[fn["Runtime"]]
    (arch,) = fn["Architectures"]
    machine = WHEEL_MACHINE[arch]

    wheel_files = [n for n in bundle.namelist() if re.fullmatch(r"numpy-[^/]+\.dist-info/WHEEL", n)]
    assert len(wheel_files) == 1
    tags = [
        line.split(":", 1)[1].strip()
        for line in bundle.read(wheel_files[0]).decode().splitlines()
        if line.startswith("Tag:")
    ]
    assert tags
    for tag in tags:
        python, tag_abi, platform = tag.split("-")
        assert (python, tag_abi) == (abi, abi), tag
        m = re.fullmatch(rf"manylinux_(\d+)_(\d+)_{machine}", platform)
        legacy = {f"manylinux2014_{machine}": (2, 17), f"manylinux2010_{machine}": (2, 12)}
        glibc = (int(m.group(1)), int(m.group(2))) if m else legacy.get(platform)
        assert glibc is not None, f"numpy wheel tag {tag} is not manylinux {machine}"
        assert glibc <= (glibc_major, glibc_minor), f"{tag} needs a newer glibc than Lambda's"

    shared = [n for n in bundle.namelist() if n.startswith(("numpy/", "numpy.libs/"))]
    shared = [n for n in shared if n.endswith(".so") or ".so." in n]
    assert shared
    py_tag = abi.replace("cp", "")
    for name in shared:
        header = bundle.open(name).read(20)
        assert header[:4] == b"\x7fELF", name
        assert header[4] == 2, f"{name} is not 64-bit"
        (e_machine,) = struct.unpack_from("<H", header, 18)
        assert e_machine == ELF_MACHINE[arch], f"{name} is not {arch}"
        if name.startswith("numpy/") and ".cpython-" in name:
            assert f".cpython-{py_tag}-{machine}-linux-gnu.so" in name, name


@pytest.mark.slow
def test_cfn_lint_is_clean(packaged, template):
    proc = subprocess.run(
        [_tool("cfn-lint"), "--", str(packaged["out"] / "sam.json")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == ""


@pytest.mark.slow
def test_merge_left_no_mixed_intrinsics(template):
    # Chalice deep-merges dicts: overriding {"Fn::Sub": ...} with {"Fn::GetAtt": ...} yields one
    # dict with both keys, which CloudFormation rejects and cfn-lint does not report.
    mixed = [(path, node) for path, node in _intrinsics(template) if len(node) != 1]
    assert not mixed


# ---- the merged template ----


@pytest.mark.slow
def test_template_has_the_tables_as_infra_declares_them(template):
    tables = _resources(template, "AWS::DynamoDB::Table")
    assert set(tables) == set(schema.LOGICAL_IDS.values())
    declared = {k: v for k, v in _fragment()["Resources"].items() if v["Type"] == "AWS::DynamoDB::Table"}
    for logical_id, res in declared.items():
        props = tables[logical_id]["Properties"]
        assert props == res["Properties"], logical_id
        pitr = res["Properties"].get("PointInTimeRecoverySpecification")
        if pitr:
            assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        ttl = res["Properties"].get("TimeToLiveSpecification")
        if ttl:
            assert props["TimeToLiveSpecification"] == ttl
            assert ttl["Enabled"] is True
    # Every table's data is recoverable; the two with expiring items have TTL on.
    assert all("PointInTimeRecoverySpecification" in t["Properties"] for t in tables.values())
    for logical_id in ("ClicksTable", "SourcesTable"):
        ttl = tables[logical_id]["Properties"]["TimeToLiveSpecification"]
        assert ttl == {"AttributeName": "expires_at", "Enabled": True}


@pytest.mark.slow
def test_every_function_gets_the_table_names_and_secret_parameter(template):
    globals_env = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    for name, fn in _functions(template).items():
        # SAM merges Globals into each function's variables; the function's own value wins.
        env = {**globals_env, **fn["Properties"].get("Environment", {}).get("Variables", {})}
        for table, var in TABLE_ENV.items():
            assert env.get(var) == {"Ref": schema.LOGICAL_IDS[table]}, (name, var)
        assert env.get("FRAUDGUARD_JWT_SECRET_PARAM") == {"Ref": SECRET_PARAM}, name
        assert env.get("POWERTOOLS_SERVICE_NAME") == "clickguard", name
    param = template["Parameters"][SECRET_PARAM]
    assert param["Type"] == "String"
    assert param["Default"] == DEFAULT_SECRET_NAME


@pytest.mark.slow
def test_merged_api_keeps_its_routes_and_gets_the_gateway_responses(template):
    api = template["Resources"]["RestAPI"]["Properties"]
    assert "/v1/clicks" in api["DefinitionBody"]["paths"]
    assert api["GatewayResponses"]["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"


def test_sweep_runs_on_a_schedule(template):
    sweeps = [
        fn for fn in _functions(template).values() if fn["Properties"]["Handler"] == "app.scheduled_sweep"
    ]
    assert len(sweeps) == 1
    events = [e for e in sweeps[0]["Properties"]["Events"].values() if e["Type"] == "Schedule"]
    assert len(events) == 1
    schedule = events[0]["Properties"]["Schedule"]
    if isinstance(schedule, dict):
        schedule = template["Parameters"][schedule["Ref"]]["Default"]
    assert schedule == "rate(1 minute)"


@pytest.mark.slow
def test_stream_consumer_reports_partial_failures_and_parks(template):
    consumers = {
        name: fn
        for name, fn in _functions(template).items()
        if any(e["Type"] == "Kinesis" for e in fn["Properties"].get("Events", {}).values())
    }
    assert consumers, "no Kinesis consumer in the template"
    streams = _resources(template, "AWS::Kinesis::Stream")
    queues = _resources(template, "AWS::SQS::Queue")
    for name, fn in consumers.items():
        env = fn["Properties"]["Environment"]["Variables"]
        queue = env["PARKING_QUEUE_URL"]["Ref"]
        assert queue in queues, name
        for event in fn["Properties"]["Events"].values():
            props = event["Properties"]
            # Without it Lambda ignores the handler's batchItemFailures and the batch "succeeds".
            assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"], name
            # The stream of this stack (a dependency, not a name that may not exist yet).
            assert re.fullmatch(r"\$\{(\w+)\.Arn\}", props["Stream"]["Fn::Sub"]).group(1) in streams
            # Batches that age out are reported, never dropped silently.
            destination = props["DestinationConfig"]["OnFailure"]["Destination"]
            assert destination == {"Fn::GetAtt": [queue, "Arn"]}, name


@pytest.mark.slow
def test_iam_is_least_privilege(template):
    statements = list(_policy_statements(template))
    assert statements
    dynamo_resources = []
    for where, st in statements:
        assert st["Effect"] == "Allow", where
        actions = _as_list(st["Action"])
        resources = _as_list(st["Resource"])
        assert not any(a == "*" or a.endswith(":*") for a in actions), (where, st)
        if "*" in resources:
            assert set(actions) <= STAR_ACTIONS, (where, st)
        elif any(isinstance(r, str) for r in resources):
            assert set(actions) <= STRING_RESOURCE_ACTIONS, (where, st)
        if any(a.startswith("kinesis:") for a in actions):
            assert set(actions) <= KINESIS_CONSUMER_ACTIONS, (where, st)
        dynamo = [a for a in actions if a.startswith("dynamodb:")]
        if dynamo:
            assert set(dynamo) <= DYNAMODB_ACTIONS, (where, st)
            assert all(isinstance(r, dict) for r in resources), (where, st)  # Refs, never strings
            dynamo_resources.extend(resources)

    # DynamoDB on exactly the five tables, and Query on the indexes of the tables that have any.
    tables = _resources(template, "AWS::DynamoDB::Table")
    expected = [{"Fn::GetAtt": [t, "Arn"]} for t in tables]
    expected += [
        {"Fn::Sub": f"${{{t}.Arn}}/index/*"}
        for t, res in tables.items()
        if res["Properties"].get("GlobalSecondaryIndexes")
    ]
    assert sorted(map(json.dumps, dynamo_resources)) == sorted(map(json.dumps, expected))

    # The JWT secret: GetParameter on that one parameter.
    ssm = [st for _, st in statements if any(a.startswith("ssm:") for a in _as_list(st["Action"]))]
    assert len(ssm) == 1
    assert _as_list(ssm[0]["Action"]) == ["ssm:GetParameter"]
    assert "${" + SECRET_PARAM + "}" in ssm[0]["Resource"]["Fn::Sub"]

    # Every function's role carries the data-access policy (and nothing broader is generated).
    for name, fn in _functions(template).items():
        role_id = fn["Properties"]["Role"]["Fn::GetAtt"][0]
        role = template["Resources"][role_id]["Properties"]
        assert {"Ref": DATA_POLICY} in role.get("ManagedPolicyArns", []), name
        assert "Policies" not in fn["Properties"], name  # SAM policy templates would bypass this

"""Property-based testing of the API against its own OpenAPI spec (schemathesis):
generated requests, valid and not, never get a 5xx, and responses match the spec."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
pytest.importorskip("fastapi")

from hypothesis import HealthCheck, settings  # noqa: E402

from dronewall.api.app import create_app  # noqa: E402
from dronewall.api.auth import Tokens  # noqa: E402
from dronewall.api.server import replay_hub  # noqa: E402
from test_api_support import T0, make_run_store  # noqa: E402

COMMANDER = "c" * 24


def _app():
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="dronewall-api-schema-"))
    hub = replay_hub(make_run_store(folder / "run.sqlite"),
                     Tokens.from_mapping({COMMANDER: "commander"}), paused=True,
                     at=T0 + 100.0)
    return create_app(hub, static_dir=folder / "nostatic", start_tasks=False)


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@settings(max_examples=3, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_responses_match_the_spec(case):
    case.call_and_validate(headers={"Authorization": f"Bearer {COMMANDER}"})

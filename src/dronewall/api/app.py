"""The FastAPI application: REST over the picture, the WebSocket stream of its changes,
the static web app, and offline API docs.

``create_app(hub)`` builds it; :mod:`dronewall.api.server` runs it with uvicorn. Every
REST route but ``/api/health`` needs ``Authorization: Bearer <token>``; the stream
takes ``?token=``. Messages are sent as the model's own JSON (msgspec), and the OpenAPI
spec carries the model's JSON schemas, so the spec and the bytes agree.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
import msgspec
from fastapi import (
    Body,
    Depends,
    FastAPI,
    HTTPException,
    Query,
    Request,
    WebSocket,
    WebSocketDisconnect,
)
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

import dronewall
from dronewall.api.auth import User
from dronewall.api.hub import Hub
from dronewall.api.sources import NotLive, NotReplay
from dronewall.api.state import full, to_builtins
from dronewall.model import Decision, Event, Recommendation, Sensor, Track, Zone

STATIC_DIR = Path(__file__).resolve().parent.parent / "web" / "static"
MODELS: tuple[type[msgspec.Struct], ...] = (Track, Event, Sensor, Zone, Recommendation,
                                            Decision)
ZONE_KINDS = ("national_airspace", "adiz", "restricted", "custom")
TRACK_STATUSES = ("tentative", "confirmed", "lost")
REC_STATUSES = ("pending", "approved", "rejected", "expired", "withdrawn")
EVENT_KINDS = ("incursion_start", "incursion_end", "adiz_entry", "adiz_exit", "zone_entry",
               "zone_exit", "identity_change", "alert", "track_lost")

_bearer = HTTPBearer(auto_error=False, description="A token from the tokens file or the one "
                     "printed at start; its role decides what the caller may do.")
_encoder = msgspec.json.Encoder()


# ---------------------------------------------------------------------- response models
class Health(BaseModel):
    status: Literal["ok"]
    mode: Literal["live", "replay"]
    time: float | None


class RunOut(BaseModel):
    scenario: str | None
    title: str | None
    start: float | None
    end: float | None
    time: float | None = Field(description="the run's clock (POSIX seconds)")
    mode: Literal["live", "replay"]
    speed: float = Field(description="run seconds per wall second")
    paused: bool


class WhoAmI(BaseModel):
    user: str
    role: Literal["viewer", "operator", "commander"]


class ScenarioOut(BaseModel):
    name: str
    title: str
    description: str


class AssetOut(BaseModel):
    name: str
    lat: float
    lon: float
    kind: str
    value: float


class DecisionIn(BaseModel):
    """A commander's answer to a recommendation."""

    model_config = ConfigDict(extra="forbid")
    action: Literal["approve", "reject"]
    reason: str = Field("", max_length=2000)


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field("", max_length=2000)


class ReplayIn(BaseModel):
    """Replay control: any of speed, a time to seek to, pause/resume."""

    model_config = ConfigDict(extra="forbid")
    speed: float | None = Field(None, gt=0, le=100_000, allow_inf_nan=False,
                                description="run seconds per wall second")
    time: float | None = Field(None, ge=0, allow_inf_nan=False,
                               description="seek to this time (POSIX seconds)")
    paused: bool | None = None


class ErrorOut(BaseModel):
    detail: str


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[int | str, Any]:
    return {200: {"description": description, "content": {"application/json": {
        "schema": schema}}}}


def _errors(*codes: int) -> dict[int | str, Any]:
    text = {400: "bad request", 401: "missing or invalid token", 403: "role too low",
            404: "not found", 409: "conflict with the run's state"}
    return {c: {"model": ErrorOut, "description": text[c]} for c in codes}


def msg_response(obj: Any) -> Response:
    """Model messages (a list of them, or builtins) as JSON, every field present."""
    if isinstance(obj, list):
        obj = [full(m) if isinstance(m, msgspec.Struct) else m for m in obj]
    elif isinstance(obj, msgspec.Struct):
        obj = full(obj)
    return Response(_encoder.encode(obj), media_type="application/json")


# ---------------------------------------------------------------------- auth
async def current_user(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The caller, from the bearer token; 401 without a valid one."""
    user = request.app.state.hub.tokens.lookup(creds.credentials if creds else None)
    if user is None:
        raise HTTPException(401, "missing or invalid token: send Authorization: Bearer "
                            "<token>", headers={"WWW-Authenticate": "Bearer"})
    return user


def role(needed: str) -> Callable[..., Any]:
    """A dependency admitting ``needed`` or a higher role; 403 otherwise."""

    async def check(user: Annotated[User, Depends(current_user)]) -> User:
        if not user.may(needed):
            raise HTTPException(403, f"role {user.role} may not do this: it needs "
                                f"{needed} or above")
        return user

    return check


Viewer = Annotated[User, Depends(role("viewer"))]
Operator = Annotated[User, Depends(role("operator"))]
Commander = Annotated[User, Depends(role("commander"))]
R_AUTH = _errors(401, 403)


# ---------------------------------------------------------------------- the app
def create_app(hub: Hub, *, static_dir: Path | None = None,
               start_tasks: bool = True) -> FastAPI:
    """The API over ``hub``. ``start_tasks``: run the source and the update cycles in
    the app's lifespan (off when a caller drives ``hub.cycle()`` itself)."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        tasks: list[asyncio.Task[Any]] = []
        if start_tasks:
            tasks = [asyncio.create_task(hub.run_source()), asyncio.create_task(hub.broadcast())]
        try:
            yield
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    app = FastAPI(
        title="dronewall picture API",
        version=dronewall.__version__,
        description="The common operational picture: tracks, events, recommendations and "
        "decisions, live or replayed. Roles: viewer reads; operator also acknowledges "
        "alerts and controls replay; commander also approves or rejects engagement "
        "recommendations.",
        docs_url=None, redoc_url=None, lifespan=lifespan,
    )
    app.state.hub = hub
    # National airspace alone is ~1.7 MB of JSON: compress responses the browser accepts
    # compressed (HTTP only; the WebSocket's deltas are small already).
    app.add_middleware(GZipMiddleware, minimum_size=2048)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_req: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors():
            loc = ".".join(str(x) for x in err.get("loc", ()))
            pattern = (err.get("ctx") or {}).get("pattern")
            if err.get("type") == "string_pattern_mismatch" and pattern in _PATTERN_HELP:
                parts.append(f"{loc}: {err.get('input')!r} is not {_PATTERN_HELP[pattern]}")
            else:
                parts.append(f"{loc}: {err.get('msg', 'invalid')}")
        return JSONResponse({"detail": "; ".join(parts) or "invalid request"}, status_code=422)

    # ------------------------------------------------------------------ reads
    @app.get("/api/health", response_model=Health, tags=["run"])
    async def health() -> dict[str, Any]:
        """Liveness: no token needed."""
        return {"status": "ok", "mode": hub.mode, "time": hub.clock()}

    @app.get("/api/whoami", response_model=WhoAmI, responses=R_AUTH, tags=["run"])
    async def whoami(user: Viewer) -> dict[str, Any]:
        return {"user": user.user, "role": user.role}

    @app.get("/api/run", response_model=RunOut, responses=R_AUTH, tags=["run"])
    async def run(_u: Viewer) -> dict[str, Any]:
        """The run shown: scenario, time span, clock, live or replay, speed, paused."""
        return hub.run_dict()

    @app.get("/api/scenarios", response_model=list[ScenarioOut], responses=R_AUTH, tags=["run"])
    async def scenarios(_u: Viewer) -> list[dict[str, Any]]:
        """The built-in scenarios."""
        return list(_scenarios())

    @app.get("/api/sensors", responses={**_json({"type": "array", "items": _ref("Sensor")}),
                                        **R_AUTH}, tags=["picture"])
    async def sensors(_u: Viewer) -> Response:
        return msg_response(list(hub.state.sensors.values()))

    @app.get("/api/zones", responses={**_json({"type": "array", "items": _ref("Zone")}),
                                      **R_AUTH}, tags=["picture"])
    async def zones(
        _u: Viewer,
        kind: Annotated[str | None, Query(description="comma-separated zone kinds: "
                                          + ", ".join(ZONE_KINDS),
                                          pattern=_csv_pattern(ZONE_KINDS))] = None,
    ) -> Response:
        """Zones, GeoJSON geometry (lon, lat). National airspace is large: ask for it once."""
        kinds = _csv(kind, ZONE_KINDS, "kind")
        return msg_response([z for z in hub.state.zones.values()
                             if kinds is None or z.kind in kinds])

    @app.get("/api/assets", response_model=list[AssetOut], responses=R_AUTH, tags=["picture"])
    async def assets(_u: Viewer) -> list[dict[str, Any]]:
        """Protected assets of the scenario (cities, airports)."""
        return hub.source.info().assets

    @app.get("/api/tracks", responses={**_json({"type": "array", "items": _ref("Track")}),
                                       **R_AUTH}, tags=["picture"])
    async def tracks(
        _u: Viewer,
        status: Annotated[str | None, Query(description="comma-separated: tentative, "
                                            "confirmed", pattern=_csv_pattern(
                                                TRACK_STATUSES))] = None,
    ) -> Response:
        """The current state of each live track."""
        wanted = _csv(status, TRACK_STATUSES, "status")
        return msg_response([t for t in hub.state.tracks.values()
                             if wanted is None or t.status in wanted])

    track_detail = {"allOf": [_ref("Track"), {"type": "object", "properties": {
        "evidence": {"type": "array", "items": _ref("Event"),
                     "description": "identity changes of this track, with their evidence"},
        "sensors_detail": {"type": "array", "items": _ref("Sensor")}},
        "required": ["evidence", "sensors_detail"]}]}

    @app.get("/api/tracks/{track_id}", responses={**_json(track_detail), **_errors(401, 403,
                                                                                   404)},
             tags=["picture"])
    async def track(_u: Viewer, track_id: Annotated[str, PathParam(max_length=200)]
                    ) -> Response:
        """A track's latest state (live or lost), its identity evidence and its sensors.

        ``sensors`` stays the Track's list of sensor ids; the sensors themselves are in
        ``sensors_detail``."""
        t = hub.state.last.get(track_id)
        if t is None:
            raise HTTPException(404, f"no track {track_id!r}")
        out = full(t)
        out["evidence"] = to_builtins(hub.state.identity_evidence(track_id))
        out["sensors_detail"] = to_builtins([hub.state.sensors[s] for s in t.sensors
                                             if s in hub.state.sensors])
        return msg_response(out)

    @app.get("/api/tracks/{track_id}/history",
             responses={**_json({"type": "array", "items": _ref("Track")}),
                        **_errors(401, 403, 404)}, tags=["picture"])
    async def track_history(
        _u: Viewer, track_id: Annotated[str, PathParam(max_length=200)],
        since: Annotated[float | None, Query(ge=0, allow_inf_nan=False)] = None,
        limit: Annotated[int | None, Query(ge=1, le=10_000, description="only the latest "
                                           "this many")] = None,
    ) -> Response:
        """The kept states of a track (the latest 300), oldest first."""
        hist = hub.state.track_history(track_id, since)
        if hist is None:
            raise HTTPException(404, f"no track {track_id!r}")
        return msg_response(hist[-limit:] if limit else hist)

    @app.get("/api/events", responses={**_json({"type": "array", "items": _ref("Event")}),
                                       **R_AUTH}, tags=["picture"])
    async def events(
        _u: Viewer,
        since: Annotated[float | None, Query(ge=0, allow_inf_nan=False)] = None,
        kind: Annotated[str | None, Query(description="comma-separated event kinds",
                                          pattern=_csv_pattern(EVENT_KINDS))] = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    ) -> Response:
        """Events, oldest first: the latest ``limit`` of those at or after ``since``."""
        kinds = _csv(kind, EVENT_KINDS, "kind")
        found = [e for e in hub.state.events
                 if (since is None or e.time >= since) and (kinds is None or e.kind in kinds)]
        return msg_response(found[-limit:])

    @app.get("/api/recommendations",
             responses={**_json({"type": "array", "items": _ref("Recommendation")}), **R_AUTH},
             tags=["decisions"])
    async def recommendations(
        _u: Viewer,
        status: Annotated[str | None, Query(description="comma-separated: "
                                            + ", ".join(REC_STATUSES),
                                            pattern=_csv_pattern(REC_STATUSES))] = None,
    ) -> Response:
        wanted = _csv(status, REC_STATUSES, "status")
        return msg_response([r for r in hub.state.recommendations.values()
                             if wanted is None or r.status in wanted])

    @app.get("/api/decisions",
             responses={**_json({"type": "array", "items": _ref("Decision")}), **R_AUTH},
             tags=["decisions"])
    async def decisions(_u: Viewer) -> Response:
        """Every decision and acknowledgement of the run, in order."""
        return msg_response(hub.state.decisions)

    # ------------------------------------------------------------------ writes
    @app.post("/api/events/{event_id}/ack",
              responses={**_json(_ref("Decision")), **_errors(401, 403, 404, 409)},
              tags=["decisions"])
    async def ack(user: Operator, event_id: Annotated[str, PathParam(max_length=200)],
                  body: Annotated[AckIn | None, Body()] = None) -> Response:
        """Acknowledge an alert (operator or commander): stored as a Decision."""
        if event_id not in hub.state.event_ids:
            raise HTTPException(404, f"no event {event_id!r}")
        done = hub.state.acks.get(event_id)
        if done is not None:
            raise HTTPException(409, f"event {event_id} already acknowledged by {done.user}")
        d = Decision(id=_decision_id(), time=hub.now_or_wall(), action="acknowledge",
                     user=user.user, role=user.role,  # type: ignore[arg-type]
                     event_id=event_id, reason=body.reason if body else "")
        _publish(d)
        return msg_response(d)

    @app.post("/api/recommendations/{rec_id}/decision",
              responses={**_json(_ref("Decision")), **_errors(401, 403, 404, 409)},
              tags=["decisions"])
    async def decide(user: Commander, rec_id: Annotated[str, PathParam(max_length=200)],
                     body: DecisionIn) -> Response:
        """Approve or reject an engagement recommendation (commander only). The decision,
        with who and when, is published on the bus (topic ``decisions``) and stored."""
        rec = hub.state.recommendations.get(rec_id)
        if rec is None:
            raise HTTPException(404, f"no recommendation {rec_id!r}")
        done = hub.state.decided.get(rec_id)
        if done is not None:
            raise HTTPException(409, f"recommendation {rec_id} already decided: {done.action} "
                                f"by {done.user}")
        if rec.status != "pending":
            raise HTTPException(409, f"recommendation {rec_id} is {rec.status}, not pending")
        d = Decision(id=_decision_id(), time=hub.now_or_wall(), action=body.action,
                     user=user.user, role=user.role,  # type: ignore[arg-type]
                     recommendation_id=rec_id, reason=body.reason)
        _publish(d)
        return msg_response(d)

    def _publish(d: Decision) -> None:
        try:
            hub.source.publish_decision(d)
        except NotLive as exc:
            raise HTTPException(409, str(exc)) from None

    @app.post("/api/replay", response_model=RunOut, responses=_errors(401, 403, 409),
              tags=["run"])
    async def replay(_u: Operator, body: ReplayIn) -> dict[str, Any]:
        """Control the replay of a stored run: speed, seek (time), pause (operator+).
        After a seek, stream clients get a fresh snapshot."""
        info = hub.source.info()
        if body.time is not None and info.start is not None and info.end is not None \
                and not info.start <= body.time <= info.end:
            raise HTTPException(409, f"time {body.time} is outside the run "
                                f"({info.start} to {info.end})")
        try:
            hub.source.control(speed=body.speed, time=body.time, paused=body.paused)
        except NotReplay as exc:
            raise HTTPException(409, str(exc)) from None
        hub.cycle()
        return hub.run_dict()

    # ------------------------------------------------------------------ stream
    @app.websocket("/api/stream")
    async def stream(ws: WebSocket, token: str | None = None) -> None:
        """Snapshot, then one delta per update cycle (see docs/api.md)."""
        await ws.accept()
        if hub.tokens.lookup(token) is None:
            await ws.close(code=4401, reason="missing or invalid token")
            return
        client = hub.connect()

        async def sender() -> None:
            while True:
                data = await client.queue.get()
                await ws.send_text(data.decode())

        async def receiver(scope: anyio.CancelScope) -> None:
            with contextlib.suppress(WebSocketDisconnect):
                while True:
                    await ws.receive_text()
            scope.cancel()

        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(sender)
                tg.start_soon(receiver, tg.cancel_scope)
        except* (WebSocketDisconnect, RuntimeError, OSError):
            pass  # the client went away while we were sending
        finally:
            hub.disconnect(client)

    _docs(app)
    _static(app, static_dir or STATIC_DIR)
    _openapi(app)
    return app


_PATTERN_HELP: dict[str, str] = {}


def _csv_pattern(allowed: Sequence[str]) -> str:
    """A regex for a comma-separated list of ``allowed`` values (so the spec says it)."""
    one = "(" + "|".join(allowed) + ")"
    pattern = f"^{one}(,{one})*$"
    _PATTERN_HELP[pattern] = "a comma-separated list of: " + ", ".join(allowed)
    return pattern


def _csv(value: str | None, allowed: Sequence[str], name: str) -> set[str] | None:
    if value is None or not value.strip():
        return None
    items = {v.strip() for v in value.split(",") if v.strip()}
    bad = sorted(items - set(allowed))
    if bad:
        raise HTTPException(422, f"query.{name}: unknown {', '.join(map(repr, bad))}; "
                            f"expected some of {', '.join(allowed)}")
    return items


def _decision_id() -> str:
    return f"DEC-{uuid.uuid4().hex[:12]}"


@functools.cache
def _scenarios() -> list[dict[str, Any]]:
    from dronewall.sim.loader import find_scenario, list_scenarios, load_scenario

    out = []
    for name in list_scenarios():
        scn = load_scenario(find_scenario(name))
        out.append({"name": name, "title": scn.title, "description": scn.description})
    return out


def _docs(app: FastAPI) -> None:
    """Swagger UI at /docs from the swagger-ui-bundle package (no CDN); without it,
    no /docs (the spec stays at /openapi.json)."""
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        return
    from fastapi.openapi.docs import get_swagger_ui_html

    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json", title="dronewall API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png")


NOT_BUILT = """<!doctype html><html><head><meta charset="utf-8"><title>dronewall</title></head>
<body><h1>dronewall</h1><p>The web app is not built: no index.html in {where}.</p>
<p>The API is here: <a href="/docs">/docs</a>, <a href="/openapi.json">/openapi.json</a>,
<code>/api/...</code>, stream at <code>/api/stream?token=...</code>.</p></body></html>"""


def _static(app: FastAPI, static_dir: Path) -> None:
    if (static_dir / "index.html").is_file():
        app.mount("/", StaticFiles(directory=static_dir, html=True), name="web")
        return

    @app.get("/", include_in_schema=False)
    async def not_built() -> HTMLResponse:
        return HTMLResponse(NOT_BUILT.format(where=static_dir))


def _openapi(app: FastAPI) -> None:
    """The spec with the model's own JSON schemas, and 422 bodies as they are sent."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(title=app.title, version=app.version, description=app.description,
                           routes=app.routes)
        _, components = msgspec.json.schema_components(
            MODELS, ref_template="#/components/schemas/{name}")
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(components)
        schemas["HTTPValidationError"] = {
            "type": "object", "title": "HTTPValidationError",
            "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
        schemas.pop("ValidationError", None)
        app.openapi_schema = spec
        return spec

    app.openapi = build  # type: ignore[method-assign]

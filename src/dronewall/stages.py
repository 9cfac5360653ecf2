"""The picture's stages, joined the same way for every way of running.

The embedded demo (:mod:`dronewall.pipeline`), the live service (:mod:`dronewall.live`)
and the web picture (:mod:`dronewall.api`) all run tracker -> classifier -> identity ->
monitor -> engagement (:class:`Picture`); this module also builds the identity
adjudicator and the engagement stage for a scenario (its flight plans, protected assets
and effector laydown), so that the three agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from dronewall.airspace.classify import KinematicClassifier
from dronewall.airspace.flightplan import FlightPlan, scenario_flight_plans
from dronewall.airspace.identity import IdentityAdjudicator
from dronewall.airspace.monitor import AirspaceMonitor
from dronewall.bus import Bus
from dronewall.engage.catalog import (
    Asset,
    assets_for,
    laydown_for,
    load_doctrine,
    shipped_assets,
)
from dronewall.engage.stage import EngagementStage
from dronewall.fusion.config import TrackerConfig
from dronewall.fusion.tracker import Tracker
from dronewall.geo.frames import LocalFrame
from dronewall.geo.population import PopulationGrid
from dronewall.model import Decision, Detection, Event, Recommendation, Track, Zone

DEFAULT_DOCTRINE = "layered"

TrackStage = Callable[[list[Track]], Any]
"""A stage after the classifier: takes the batch's tracks and returns them (updated),
or ``(tracks, events)`` when it also reports events (the identity adjudicator)."""


class Picture:
    """Tracker, classifier, the optional track stages (identity), airspace monitor and
    the optional engagement stage, fed in batches; everything they emit is published on
    ``bus``.

    ``engagement`` is any object: if it has ``process(tracks, events)`` that returns
    recommendations, it is run after the monitor; if it has ``decide(decision)``, it gets
    every decision published on the bus (what it returns, recommendations updated by the
    decision, is published too)."""

    def __init__(self, frame: LocalFrame, zones: Sequence[Zone], watch: Sequence[str],
                 bus: Bus, *, track_stages: Sequence[TrackStage] = (),
                 engagement: Any = None, tracker_config: TrackerConfig | None = None) -> None:
        self.tracker = Tracker(frame, tracker_config)
        self.classifier = KinematicClassifier()
        self.monitor = AirspaceMonitor(zones, watch)
        self.track_stages = list(track_stages)
        self.engagement = engagement
        self.bus = bus
        if engagement is not None and callable(getattr(engagement, "decide", None)):
            bus.subscribe("decisions", self._decide)

    def ingest(self, detections: Sequence[Detection]) -> None:
        ordered = sorted(detections, key=lambda d: d.time)
        self.bus.publish("detections", ordered)
        self._emit(self.classifier.process(self.tracker.process(ordered)))

    def finish(self, time: float) -> None:
        self._emit(self.classifier.process(self.tracker.finish(time)))
        self.bus.publish("events", self.monitor.finish(time))

    def _emit(self, tracks: list[Track]) -> None:
        events: list[Event] = []
        for stage in self.track_stages:
            out = stage(tracks)
            if isinstance(out, tuple):
                tracks, more = out
                events.extend(more)
            else:
                tracks = out
        self.bus.publish("tracks", tracks)
        events.extend(self.monitor.process(tracks))
        self.bus.publish("events", events)
        process = getattr(self.engagement, "process", None)
        if callable(process):
            self.bus.publish("recommendations", list(process(tracks, events) or ()))

    def _decide(self, _topic: str, decisions: Sequence[Any]) -> None:
        for d in decisions:
            updated = self.engagement.decide(d)
            if updated:
                self.bus.publish("recommendations",
                                 list(updated) if isinstance(updated, list | tuple)
                                 else [updated])


def identity_stage(scenario_name: str | None, watch: Sequence[str], zones: Sequence[Zone], *,
                   flight_plans: Sequence[FlightPlan] | None = None,
                   keep_lost_s: float | None = None) -> IdentityAdjudicator:
    """The adjudicator with the scenario's filed flight plans (none for a live feed)."""
    plans = list(flight_plans) if flight_plans is not None else (
        scenario_flight_plans(scenario_name) if scenario_name else [])
    return IdentityAdjudicator(flight_plans=plans, own_countries=list(watch), zones=zones,
                               keep_lost_s=keep_lost_s)


def protected_assets(scenario_assets: Sequence[Any], watch: Sequence[str]) -> list[Asset]:
    """The scenario's own assets, then the shipped ones of the watched countries (power
    plants and bases, cities and airports); a scenario's own asset wins where both
    name the same place."""
    out = [Asset(id=a.id, name=a.name, lat=a.lat, lon=a.lon, kind=a.kind, value=a.value)
           for a in scenario_assets]
    for iso in watch:
        out.extend(assets_for(iso))
    return out + shipped_assets(set(watch), existing=out)


class Engagement:
    """The engagement stage in the picture's shape: ``process(tracks, events)`` returns
    the recommendations that are new or whose status changed (expired, approved,
    rejected), so every view sees a recommendation's current status; ``decide(decision)``
    applies a person's decision and returns the recommendation it changed."""

    def __init__(self, stage: EngagementStage) -> None:
        self.stage = stage
        self._said: dict[str, str] = {}  # recommendation id -> status last published

    def process(self, tracks: Sequence[Track], _events: Sequence[Event] = ()) \
            -> list[Recommendation]:
        self.stage.process(tracks)
        return self._changed()

    def decide(self, decision: Decision) -> list[Recommendation]:
        self.stage.decide(decision)
        return self._changed()

    def _changed(self) -> list[Recommendation]:
        out = [r for r in self.stage.recs.values() if self._said.get(r.id) != r.status]
        for r in out:
            self._said[r.id] = r.status
        return out


def engagement_stage(scenario_name: str, scenario_assets: Sequence[Any], watch: Sequence[str],
                     doctrine: str = DEFAULT_DOCTRINE) -> Engagement | None:
    """The engagement stage for a scenario with a shipped effector laydown; None when
    there is none (then the picture recommends nothing: there is nothing to fire)."""
    laydown = laydown_for(scenario_name)
    if laydown is None or not laydown.units:
        return None
    assets = protected_assets(scenario_assets, watch)
    lats = [u.lat for u in laydown.units] + [a.lat for a in assets]
    lons = [u.lon for u in laydown.units] + [a.lon for a in assets]
    grid = PopulationGrid.around(lats, lons, margin_deg=1.0)
    return Engagement(EngagementStage(assets, laydown, load_doctrine(doctrine), grid,
                                      list(watch)))

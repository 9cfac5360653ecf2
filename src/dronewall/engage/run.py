"""Replaying tracks through the engagement stage and a (simulated) commander.

:func:`replay` feeds time-ordered Track messages in batches of ``batch_s`` seconds of
track time to an :class:`~dronewall.engage.stage.EngagementStage`, has the commander
decide each new recommendation and hands the decisions back to the stage. It knows
nothing of the truth: an evaluator that does (``dronewall.eval.engagement.engage_run``)
plugs in through ``before_batch`` (which may drop the updates of targets it has judged
destroyed) and ``on_decision``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dronewall.engage.commander import SimulatedCommander
from dronewall.engage.stage import EngagementStage
from dronewall.model import Decision, Recommendation, Track


@dataclass
class ReplayLog:
    recommendations: list[Recommendation] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)


def replay(
    tracks: Sequence[Track],
    stage: EngagementStage,
    commander: SimulatedCommander,
    *,
    batch_s: float = 10.0,
    before_batch: Callable[[float, list[Track]], list[Track]] | None = None,
    on_decision: Callable[[Recommendation, Decision], None] | None = None,
) -> ReplayLog:
    """Run the stage over ``tracks`` (sorted here by time) and return what it said."""
    log = ReplayLog()
    ordered = sorted(tracks, key=lambda t: t.time)
    i = 0
    while i < len(ordered):
        t_end = ordered[i].time + batch_s
        j = i
        while j < len(ordered) and ordered[j].time < t_end:
            j += 1
        batch = ordered[i:j]
        i = j
        if before_batch is not None:
            batch = before_batch(t_end, batch)
        if not batch:
            continue
        recs = stage.process(batch)
        log.recommendations.extend(recs)
        for dec in commander.decide(recs):
            stage.decide(dec)
            log.decisions.append(dec)
            if on_decision is not None:
                on_decision(stage.recs[dec.recommendation_id or ""], dec)
    return log

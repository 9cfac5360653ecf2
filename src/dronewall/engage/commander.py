"""A simulated commander for headless runs: a SIMULATION of the human decision, not a
decision-maker. It approves what the ROE allow or send for approval and rejects what
they forbid, at the recommendation's own time (no deliberation delay is modelled).
Real deployments put a person with the commander role here (ARCHITECTURE.md, rule 6)."""

from __future__ import annotations

from collections.abc import Iterable

from dronewall.model import Decision, Recommendation


class SimulatedCommander:
    """Turns recommendations into decisions by their verdict."""

    user = "simulated-commander"

    def __init__(self, approve_needs_approval: bool = True) -> None:
        self.approve_needs_approval = approve_needs_approval
        self._n = 0

    def decide(self, recs: Iterable[Recommendation]) -> list[Decision]:
        out = []
        for rec in recs:
            if rec.status != "pending":
                continue
            ok = rec.verdict == "allowed" or (
                rec.verdict == "needs_approval" and self.approve_needs_approval)
            self._n += 1
            out.append(Decision(
                id=f"DEC-{self._n}", time=rec.time, action="approve" if ok else "reject",
                user=self.user, role="commander", recommendation_id=rec.id,
                reason=f"simulated: ROE verdict {rec.verdict} ({rec.rule})",
            ))
        return out

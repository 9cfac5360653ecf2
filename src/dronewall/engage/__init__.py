"""Threat evaluation, effectors, weapon-target assignment, debris risk, ROE, approvals.

The engagement stage (:class:`dronewall.engage.stage.EngagementStage`) turns tracks into
:class:`~dronewall.model.Recommendation` messages for an operator; it sees only what a
deployment sees (tracks, its own catalogue files), never the simulator's truth.
See docs/engage.md for the models, their assumptions and their sources.
"""

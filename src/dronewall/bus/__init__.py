"""Message buses: they only move messages between stages."""

from dronewall.bus.inprocess import Bus

__all__ = ["Bus"]

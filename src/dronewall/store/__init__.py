"""Storage of runs: every message, in order, tamper-evident; read back for replay."""

from dronewall.store.sqlite import RunStore, StoreError

__all__ = ["RunStore", "StoreError"]

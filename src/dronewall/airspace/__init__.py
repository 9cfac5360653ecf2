"""airspace: who is where they should not be: incursions, ADIZ and restricted zones."""

from dronewall.airspace.incursion import Incursion
from dronewall.airspace.monitor import AirspaceMonitor, MonitorConfig

__all__ = ["AirspaceMonitor", "Incursion", "MonitorConfig"]

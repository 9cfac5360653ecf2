"""dronewall: real-time air surveillance and counter-drone command and control."""

__version__ = "0.1.0"

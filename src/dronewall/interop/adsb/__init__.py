"""ADS-B / Mode S in: dump1090/readsb feeds (raw hex, Beast binary, SBS/BaseStation) to
:class:`~dronewall.model.messages.Detection` messages.

Needs the ``adsb`` extra (pyModeS, GPL-3.0), imported only by :mod:`.decoder`; import
this package lazily from the core (the CLI does, for ``dronewall convert``).

- :func:`read_feed` / :class:`FeedReader`: a file, ``-`` or ``tcp://host:port`` to
  Detections, with counters of what was bad;
- :class:`ModeSDecoder`: frames to Detections, per-aircraft CPR and identity state;
- :class:`SbsDecoder`: SBS lines to Detections;
- :class:`BeastParser`, :func:`parse_hex_line`: the framings;
- :mod:`.convert`: ``read_beast``, ``read_sbs``, ``read_modes_hex`` for
  ``dronewall convert``.
"""

from dronewall.interop.adsb.accuracy import AccuracyModel
from dronewall.interop.adsb.beast import BeastFrame, BeastParser, encode_beast
from dronewall.interop.adsb.decoder import ModeSDecoder
from dronewall.interop.adsb.frames import Counters, ModeSFrame
from dronewall.interop.adsb.hexfeed import HexLine, parse_hex_line
from dronewall.interop.adsb.reader import FORMATS, FeedReader, open_source, read_feed
from dronewall.interop.adsb.sbs import SbsDecoder, sbs_time

__all__ = [
    "FORMATS",
    "AccuracyModel",
    "BeastFrame",
    "BeastParser",
    "Counters",
    "FeedReader",
    "HexLine",
    "ModeSDecoder",
    "ModeSFrame",
    "SbsDecoder",
    "encode_beast",
    "open_source",
    "parse_hex_line",
    "read_feed",
    "sbs_time",
]

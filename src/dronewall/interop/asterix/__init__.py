"""ASTERIX (EUROCONTROL surveillance data exchange) in and out.

In: CAT048 radar plots -> Detection (RangeBearing), CAT062 system tracks -> Track,
CAT021 ADS-B reports -> Detection (GeodeticPosition), from raw recordings, pcap files
or UDP, decoded by asterix-decoder (GPL, imported only in :mod:`.decode`, when a block
is decoded). Out: Track -> CAT062 data blocks by our own encoder (:mod:`.encode062`).

Modules: :mod:`.framing` (data blocks, pcap, UDP), :mod:`.clock` (time of day),
:mod:`.items` (record access), :mod:`.cat048`, :mod:`.cat062`, :mod:`.cat021` (record ->
message), :mod:`.sites` (radar site table), :mod:`.isolate` (the decoder in a worker
process), :mod:`.decode` (the reader), :mod:`.encode062` (the writer), :mod:`.sink`
(file / stdout / UDP out).
"""

from .decode import (
    AsterixDecoder,
    AsterixOptions,
    DecodeStats,
    decode_bytes,
    read_file,
    read_udp,
)
from .encode062 import Cat062Encoder, EncodeError
from .sink import write_cat062
from .sites import load_sites, parse_site

__all__ = [
    "AsterixDecoder",
    "AsterixOptions",
    "Cat062Encoder",
    "DecodeStats",
    "EncodeError",
    "decode_bytes",
    "load_sites",
    "parse_site",
    "read_file",
    "read_udp",
    "write_cat062",
]

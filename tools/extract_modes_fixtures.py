"""Extract small real Mode S fixtures from the sample data of ``traffic`` (MIT).

Run with a Python that has ``traffic`` (and ``pandas<3``) installed, NOT the project venv::

    python3 -m venv /tmp/traffic-venv
    /tmp/traffic-venv/bin/pip install traffic 'pandas<3'
    /tmp/traffic-venv/bin/python tools/extract_modes_fixtures.py

It writes into ``tests/data/modes/``:

- ``flight_393322.txt``: a 10-minute airborne window of traffic's real recorded flight
  ``full_flight_short`` (icao24 393322), every frame of it, one ``<POSIX time> <hex>``
  line per frame (the timestamped raw-hex feed our reader takes);
- ``flight_393322_traffic.csv``: traffic's own decoding of exactly those frames
  (``traffic.data.adsb.decode.RawData.decode``, which runs rs1090 with the
  timestamps): ``time,hex,lat,lon,altitude_ft`` for each frame it gave a position;
- ``sample_dump1090.bin``: traffic's real Beast binary capture (dump1090, 12 MHz clock),
  copied as is;
- ``sample_dump1090_traffic.csv``: for each Mode S frame traffic's Beast parser
  (``next_beast_msg``) finds in it: ``ticks,hex,lat,lon,altitude_ft`` with the
  position traffic decodes (rs1090, reference Toulouse-Blagnac LFBO, time
  2020-02-12T10:07Z + ticks / 12 MHz, as in traffic's own test of this file).
"""

from __future__ import annotations

import csv
import math
import shutil
from pathlib import Path

import pandas as pd
import traffic
from traffic.data.adsb.decode import RawData, next_beast_msg

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "modes"
SAMPLES = Path(traffic.__file__).parent / "data" / "samples"
WINDOW_START_AFTER_TAKEOFF_S = 60.0
WINDOW_S = 420.0
LFBO = (43.628101, 1.367263)  # Toulouse-Blagnac aerodrome reference point
DUMP1090_T0 = pd.Timestamp("2020-02-12T10:07:00Z").timestamp()


def _num(x: object) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else repr(float(x))


def flight() -> None:
    src = SAMPLES / "rs1090" / "full_flight_short.jsonl"
    df = pd.read_json(src, lines=True, dtype={"icao24": str, "df": str, "bds": str})
    df["t"] = df.timestamp.astype("int64") * 1e-9
    airborne = df[(df.bds == "05") & df.latitude.notna()]
    t0 = float(airborne.t.iloc[0]) + WINDOW_START_AFTER_TAKEOFF_S
    part = df[(df.t >= t0) & (df.t < t0 + WINDOW_S)].sort_values("t", kind="stable")
    with (OUT / "flight_393322.txt").open("w") as fh:
        for t, frame in zip(part.t, part.frame, strict=True):
            fh.write(f"{t:.6f} {frame.upper()}\n")
    raw = RawData(pd.DataFrame({"timestamp": part.t.to_numpy(), "rawmsg": part.frame.to_numpy()}))
    decoded = raw.decode()
    assert decoded is not None
    d = decoded.data
    d = d.assign(t=d.timestamp.astype("int64") * 1e-9)
    # rs1090 returns one row per input frame, in order: align by position.
    assert len(d) == len(part), (len(d), len(part))
    with (OUT / "flight_393322_traffic.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["time", "hex", "lat", "lon", "altitude_ft"])
        for t, frame, (_, row) in zip(part.t, part.frame, d.iterrows(), strict=True):
            if pd.notna(row.get("latitude")):
                w.writerow([f"{t:.6f}", frame.upper(), _num(row.latitude), _num(row.longitude),
                            _num(row.get("altitude"))])


def beast() -> None:
    src = SAMPLES / "dump1090" / "sample_dump1090.bin"
    shutil.copyfile(src, OUT / "sample_dump1090.bin")
    msgs = [m for m in next_beast_msg([src.read_bytes()]) if m[1] in (0x32, 0x33)]
    ticks = [int.from_bytes(m[2:8], "big") for m in msgs]
    hexes = [m[9:].hex().upper() for m in msgs]
    import rs1090

    decoded = rs1090.decode(hexes, [DUMP1090_T0 + k / 12e6 for k in ticks], reference=LFBO)
    with (OUT / "sample_dump1090_traffic.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["ticks", "hex", "lat", "lon", "altitude_ft"])
        for k, h, row in zip(ticks, hexes, decoded, strict=True):
            w.writerow([k, h, _num(row.get("latitude")), _num(row.get("longitude")),
                        _num(row.get("altitude"))])


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    flight()
    beast()
    for p in sorted(OUT.iterdir()):
        print(f"{p.name}: {p.stat().st_size} bytes")

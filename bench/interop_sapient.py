"""SAPIENT throughput, and a cross-check against an independent SAPIENT implementation.

Throughput: N detections (bearing, range-bearing, geodetic, in turn) encoded to framed
``SapientMessage`` bytes, then those bytes decoded back to our ``Detection`` messages;
messages per second of each direction, best of ``--repeat`` runs::

    .venv/bin/python bench/interop_sapient.py -n 20000

Peer check (``--peer PYTHON``): PYTHON is an interpreter with the PyPI packages
``sapient-py`` (framing) and ``sapient-msg`` (bindings generated from the official schema),
kept in its own venv because they pin protobuf < 6. It compares every message and enum
of the peer's ``sapient_msg.bsi_flex_335_v2_0`` with ours (field names, numbers, types,
labels), decodes our frames with the peer's classes (no unknown fields allowed, equal
JSON), and we decode frames the peer wrote::

    python3 -m venv /tmp/sapvenv && /tmp/sapvenv/bin/pip install sapient-py sapient-msg
    .venv/bin/python bench/interop_sapient.py --peer /tmp/sapvenv/bin/python
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from google.protobuf import descriptor_pb2
from google.protobuf.json_format import MessageToDict

from dronewall.interop.sapient import (
    detection_from_sapient,
    detection_report,
    encode_frame,
    node_uuid,
    read_frames,
    registration_for,
    status_report,
    track_report,
)
from dronewall.interop.sapient.sapient_msg.bsi_flex_335_v2_0 import sapient_message_pb2
from dronewall.model.messages import (
    BearingOnly,
    Detection,
    GeodeticPosition,
    GeoPoint,
    RangeBearing,
    Sensor,
    Track,
)

POS = GeoPoint(lat=52.2297, lon=21.0122, alt=110.0)
T0 = 1_757_460_000.0


def detections(n: int) -> list[Detection]:
    out = []
    for i in range(n):
        k = i % 3
        if k == 0:
            m, cov = BearingOnly(azimuth=i % 360, elevation=5.0, origin=POS), [[4.0, 0], [0, 9.0]]
        elif k == 1:
            m = RangeBearing(range=1e4 + i, azimuth=i % 360, elevation=2.0, origin=POS)
            cov = [[2500.0, 0, 0], [0, 0.04, 0], [0, 0, 0.16]]
        else:
            m = GeodeticPosition(lat=52.0 + i * 1e-6, lon=21.0, alt=3000.0)
            cov = [[100.0, 0, 0], [0, 100.0, 0], [0, 0, 400.0]]
        out.append(Detection(id=f"d{i}", sensor_id="ac-7", time=T0 + i * 0.1, measurement=m,
                             covariance=cov, class_probs={"shahed-class": 0.7, "bird": 0.2}))
    return out


def throughput(n: int, repeat: int) -> dict[str, float]:
    dets = detections(n)
    node = node_uuid("ac-7")
    best_enc = best_dec = float("inf")
    data = b""
    for _ in range(repeat):
        t = time.perf_counter()
        data = b"".join(encode_frame(detection_report(d, node_id=node)) for d in dets)
        best_enc = min(best_enc, time.perf_counter() - t)
        t = time.perf_counter()
        back = [detection_from_sapient(m, sensor_positions={node: POS})
                for m in read_frames(io.BytesIO(data))]
        best_dec = min(best_dec, time.perf_counter() - t)
        assert len(back) == n
    return {"messages": n, "bytes_per_message": len(data) / n,
            "encode_msgs_per_s": n / best_enc, "decode_msgs_per_s": n / best_dec}


# ----------------------------------------------------------------------------- peer check

PEER = r"""
import importlib, json, pkgutil, sys
from google.protobuf import descriptor_pb2
from google.protobuf.json_format import MessageToDict, ParseDict
import sapient_msg.bsi_flex_335_v2_0 as pkg
from sapient_msg.bsi_flex_335_v2_0.sapient_message_pb2 import SapientMessage
from sapient_py.framing import read_frame, encode_frame
ours, out_path, theirs_json = sys.argv[1], sys.argv[2], sys.argv[3]
files = {}
for mod in pkgutil.iter_modules(pkg.__path__):
    if mod.name.endswith("_pb2"):
        m = importlib.import_module(f"{pkg.__name__}.{mod.name}")
        fdp = descriptor_pb2.FileDescriptorProto()
        m.DESCRIPTOR.CopyToProto(fdp)
        files[fdp.name] = MessageToDict(fdp)
decoded = []
with open(ours, "rb") as fh:
    while True:
        try:
            msg = read_frame(fh, SapientMessage)
        except EOFError:
            break
        before = msg.SerializeToString()
        msg.DiscardUnknownFields()  # recursive: any field the peer's schema lacks
        decoded.append({"json": MessageToDict(msg),
                        "unknown": int(before != msg.SerializeToString())})
with open(theirs_json) as fh, open(out_path, "wb") as out:
    for d in json.load(fh):
        out.write(encode_frame(ParseDict(d, SapientMessage())))
print(json.dumps({"files": files, "decoded": decoded}))
"""


def _shape(fdp: dict) -> dict[str, object]:
    """name -> fields (name, number, type, label, type_name) of every message and enum."""
    out: dict[str, object] = {}

    def walk(prefix: str, msgs: list[dict], enums: list[dict]) -> None:
        for e in enums:
            out[f"{prefix}{e['name']}"] = sorted((v["name"], v.get("number", 0))
                                                 for v in e.get("value", []))
        for m in msgs:
            name = f"{prefix}{m['name']}"
            out[name] = sorted((f["name"], f["number"], f.get("type"), f.get("label"),
                                f.get("typeName", "")) for f in m.get("field", []))
            walk(f"{name}.", m.get("nestedType", []), m.get("enumType", []))

    walk("", fdp.get("messageType", []), fdp.get("enumType", []))
    return out


def peer_check(python: str) -> dict[str, object]:
    node = node_uuid("ac-7")
    sensor = Sensor(id="ac-7", kind="acoustic", position=POS, name="Acoustic 7", period_s=1.0)
    track = Track(id="T1", time=T0, status="confirmed", lat=52.0, lon=21.0, alt=500.0, ve=30.0,
                  vn=-5.0, vu=0.0, born=T0 - 60.0, identity="hostile",
                  covariance=[[float(i == j) for j in range(6)] for i in range(6)])
    ours = [registration_for(sensor, time=T0), status_report(sensor, time=T0),
            *(detection_report(d, node_id=node) for d in detections(30)),
            track_report(track, node_id=node_uuid("fusion"))]
    # what the peer writes: detection reports in its own classes, from JSON
    theirs = [MessageToDict(detection_report(d, node_id=node)) for d in detections(9)]
    with tempfile.TemporaryDirectory() as tmp:
        ours_path, theirs_path, back_path = (Path(tmp) / n for n in ("o.bin", "t.json", "b.bin"))
        ours_path.write_bytes(b"".join(encode_frame(m) for m in ours))
        theirs_path.write_text(json.dumps(theirs))
        res = subprocess.run([python, "-c", PEER, str(ours_path), str(back_path),
                              str(theirs_path)], capture_output=True, text=True, check=True)
        peer = json.loads(res.stdout)
        frames = back_path.read_bytes()
    # 1. the schema: every message/enum of the peer's files, compared with ours
    mine: dict[str, object] = {}
    pool = sapient_message_pb2.DESCRIPTOR.pool
    for name in peer["files"]:
        fdp = descriptor_pb2.FileDescriptorProto()
        pool.FindFileByName(name).CopyToProto(fdp)
        mine.update(_shape(MessageToDict(fdp)))
    theirs_shape: dict[str, object] = {}
    for fdp in peer["files"].values():
        theirs_shape.update(_shape(fdp))
    diffs = sorted(k for k in theirs_shape.keys() | mine.keys()
                   if theirs_shape.get(k) != mine.get(k))
    # 2. our frames decoded by the peer: same JSON, no unknown fields
    same = sum(d["json"] == MessageToDict(m) and d["unknown"] == 0
               for d, m in zip(peer["decoded"], ours, strict=True))
    # 3. the peer's frames decoded by us, into our Detections
    back = [detection_from_sapient(m, sensor_positions={node: POS})
            for m in read_frames(io.BytesIO(frames))]
    ok = all(b.measurement.azimuth == d.measurement.azimuth  # type: ignore[union-attr]
             for b, d in zip(back, detections(9), strict=True)
             if not isinstance(d.measurement, GeodeticPosition))
    return {"peer_files": len(peer["files"]), "types_compared": len(theirs_shape),
            "schema_differences": diffs, "our_frames_decoded_equal": f"{same}/{len(ours)}",
            "peer_frames_decoded_by_us": len(back), "peer_azimuths_equal": ok}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--peer", metavar="PYTHON", help="interpreter with sapient-py, sapient-msg")
    a = ap.parse_args()
    result: dict[str, object] = {"throughput": throughput(a.n, a.repeat)}
    if a.peer:
        result["peer"] = peer_check(a.peer)
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()

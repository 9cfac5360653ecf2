"""``dronewall node``: run the acoustic node pipeline on a recording or a stream.

Reads a WAV file or ``-`` (a WAV stream, or raw little-endian samples with ``--rate``,
processed second by second as it arrives, so a node can run on
``arecord -f S16_LE -r 16000 -c 4 | dronewall node -i - --array a.yaml``) and prints one
decision per 1-s frame that detects something: time, statistic, class, SNR,
level and bearings. ``--json`` prints JSON Lines instead: one
:class:`~dronewall.model.messages.Detection` (BearingOnly, with covariance, class_probs,
snr_db) per bearing for an array node, and for a single microphone (no measurement kind
of the vocabulary fits) one ``acoustic_onset`` object per detection. ``--frames`` prints
every frame's full decision as a JSON object instead (detected or not). ``--json --summary``
prints one object for the whole clip: ``p_drone`` (the highest drone probability of any
frame; drone = shahed + gerbera + jet + multicopter) and the class scores.
"""

from __future__ import annotations

import json
import sys
import warnings
from typing import Any

import click
import numpy as np

from dronewall.acoustic.audio import EXPECTED_RATE, RAW_DTYPES, AudioWarning, load, stream
from dronewall.acoustic.classifier import LABELS
from dronewall.errors import BadInput


def _start_time(text: str | None) -> float:
    if text is None:
        return 0.0
    try:
        t = float(text)
    except ValueError:
        from dronewall.timeutil import parse_iso

        try:
            t = parse_iso(text)
        except ValueError:
            raise BadInput(f"--start-time: expected POSIX seconds or ISO 8601, got {text!r}"
                           ) from None
    if t < 0:
        raise BadInput(f"--start-time: must be >= 0, got {text!r}")
    return t


def summarise(decisions: list[Any], source: str, seconds: float) -> dict[str, Any]:
    """One object for a clip: p_drone (max over frames), per-class max and mean scores."""
    if not decisions:
        return {"input": source, "seconds": seconds, "frames": 0, "p_drone": 0.0}
    probs = np.array([[d.class_probs[k] for k in LABELS] for d in decisions])
    best = probs.max(axis=0)
    return {
        "input": source,
        "seconds": round(seconds, 3),
        "frames": len(decisions),
        "detections": int(sum(d.detected for d in decisions)),
        "p_drone": round(max(d.p_drone for d in decisions), 4),
        "label": LABELS[int(np.argmax(probs.mean(axis=0)))],
        "class_scores": {k: round(float(v), 4) for k, v in zip(LABELS, best, strict=True)},
        "class_mean": {k: round(float(v), 4)
                       for k, v in zip(LABELS, probs.mean(axis=0), strict=True)},
        "max_statistic": round(max(d.statistic for d in decisions), 3),
        "threshold": round(decisions[0].threshold, 3),
    }


@click.command("node")
@click.option("--input", "-i", "input_", required=True, metavar="FILE.wav|-",
              help="Recording to process; '-' reads stdin (WAV, or raw with --rate).")
@click.option("--array", "array_file", type=click.Path(dir_okay=False), default=None,
              help="Array geometry YAML (mics: [[east, north, up], ...] metres); the input "
                   "must have one channel per microphone. Without it: one microphone.")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines output.")
@click.option("--summary", is_flag=True, help="One summary for the whole clip (p_drone).")
@click.option("--frames", "all_frames", is_flag=True,
              help="With --json: every frame's full decision (detected or not).")
@click.option("--node-id", default="acoustic-1", show_default=True, help="Sensor id.")
@click.option("--lat", type=click.FloatRange(-90, 90), default=0.0, show_default=True,
              help="Node latitude, degrees.")
@click.option("--lon", type=click.FloatRange(-180, 180), default=0.0, show_default=True,
              help="Node longitude, degrees.")
@click.option("--alt", type=float, default=0.0, show_default=True, help="Node altitude, m.")
@click.option("--start-time", default=None,
              help="Time of the first sample: POSIX seconds or ISO 8601 (default 0).")
@click.option("--rate", type=click.IntRange(1, None), default=None,
              help="Raw (headerless) input at this sample rate.")
@click.option("--channels", type=click.IntRange(1, 64), default=None,
              help="Channels of raw input (default: the array's microphones, or 1).")
@click.option("--raw-format", type=click.Choice(sorted(RAW_DTYPES)), default="s16",
              show_default=True, help="Sample format of raw input (little-endian).")
@click.option("--resample", is_flag=True,
              help=f"Resample other rates to {EXPECTED_RATE} Hz instead of refusing them.")
@click.option("--threshold", type=float, default=None,
              help="Harmonic detector threshold (default: its Pfa = 6e-6 value; with the "
                   "broadband detector the node's Pfa is 1.2e-5 per decision).")
@click.option("--bb-threshold", type=float, default=None,
              help="Broadband detector threshold (default: its Pfa = 6e-6 value; 'inf' "
                   "turns it off). It decides from the 11th second of a stream on.")
@click.option("--model", "model_path", type=click.Path(dir_okay=False), default=None,
              help="Classifier model file (default: the shipped one).")
@click.option("--cal-db", type=float, default=0.0, show_default=True,
              help="Add to dBFS levels to give dB SPL (microphone calibration).")
def node(input_: str, array_file: str | None, as_json: bool, summary: bool, all_frames: bool,
         node_id: str, lat: float, lon: float, alt: float, start_time: str | None,
         rate: int | None, channels: int | None, raw_format: str, resample: bool,
         threshold: float | None, bb_threshold: float | None, model_path: str | None,
         cal_db: float) -> None:
    """Detect, classify and locate aircraft sound in a recording, one decision a second."""
    from dronewall.acoustic.arrays import ArrayGeometry
    from dronewall.acoustic.node import NodePipeline
    from dronewall.model.messages import GeoPoint, encode

    t0 = _start_time(start_time)
    geo = ArrayGeometry.from_yaml(array_file) if array_file else None
    n_mics = geo.n_channels if geo is not None else None
    out = sys.stdout
    origin = GeoPoint(lat=lat, lon=lon, alt=alt)

    def emit(d: Any) -> None:
        if as_json and all_frames:
            out.write(json.dumps(dict(d.to_dict(), node=node_id)) + "\n")
        elif not d.detected:
            return
        elif as_json:
            msgs = d.to_messages(node_id, origin)
            for m in msgs:
                out.write(encode(m).decode() + "\n")
            if not msgs:
                rec = {"type": "acoustic_onset", "node": node_id, "time": round(d.time, 6),
                       "onset_time": d.onset_time, "onset_sigma": d.onset_sigma,
                       "position": {"lat": lat, "lon": lon, "alt": alt},
                       "class_probs": d.class_probs, "snr_db": round(d.snr_db, 2),
                       "level_db": round(d.level_db, 2), "statistic": round(d.statistic, 3)}
                out.write(json.dumps(rec) + "\n")
        else:
            brg = ", ".join(f"{b.azimuth:6.1f}°±{b.sigma:.1f}" for b in d.bearings)
            on = f" onset {d.onset_time:.3f}s" if d.onset_time is not None else ""
            out.write(f"t={d.time:.1f} stat={d.statistic:5.1f} {d.label:<18} "
                      f"p_drone={d.p_drone:.2f} f0={d.f0_hz:5.1f}Hz snr={d.snr_db:5.1f}dB "
                      f"level={d.level_db:6.1f}dB{' bearing ' + brg if brg else ''}{on}\n")
        out.flush()

    decisions: list[Any] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AudioWarning)
        if input_ == "-" and not resample:
            # a live stream: decide every second as the audio arrives
            pipe = NodePipeline(geo, EXPECTED_RATE, threshold=threshold,
                                bb_threshold=bb_threshold, model=model_path, cal_db=cal_db)
            t = t0
            source, seconds = "<stdin>", 0.0
            for block in stream(sys.stdin.buffer, rate=rate,
                                raw_channels=channels or n_mics or 1,
                                raw_format=raw_format, channels=n_mics):
                for w in caught:
                    click.echo(f"warning: {w.message}", err=True)
                caught.clear()
                new = pipe.process(block if geo is not None else block[:1], t)
                t += block.shape[1] / EXPECTED_RATE
                seconds += block.shape[1] / EXPECTED_RATE
                decisions += new
                if not summary:
                    for d in new:
                        emit(d)
        else:
            audio = load(input_, rate=rate, raw_channels=channels or n_mics or 1,
                         raw_format=raw_format, channels=n_mics, resample=resample)
            if geo is None and audio.n_channels > 1:
                click.echo(f"warning: {audio.source}: {audio.n_channels} channels and no "
                           "--array: using channel 0", err=True)
            pipe = NodePipeline(geo, audio.rate, threshold=threshold,
                                bb_threshold=bb_threshold, model=model_path, cal_db=cal_db)
            decisions = pipe.process(audio.data, t0)
            source, seconds = audio.source, audio.seconds
            if not summary:
                for d in decisions:
                    emit(d)
    for w in caught:
        click.echo(f"warning: {w.message}", err=True)
    if summary:
        s = summarise(decisions, source, seconds)
        if as_json:
            out.write(json.dumps(s) + "\n")
        else:
            out.write(f"{s['input']}: {s['frames']} frames, {s.get('detections', 0)} "
                      f"detections, p_drone {s['p_drone']:.3f}, label {s.get('label')}\n")
    out.flush()

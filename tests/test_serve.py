"""The live service: a scenario played against the clock and SAPIENT nodes reporting live,
each streamed as Cursor-on-Target to a TCP receiver on 127.0.0.1."""

from __future__ import annotations

import asyncio
import re

import pytest

from dronewall.live import ServeConfig, ServeError, serve
from dronewall.model import Detection, GeodeticPosition, GeoPoint, Sensor
from dronewall.sim.loader import find_scenario, load_scenario
from dronewall.store import RunStore

pytest.importorskip("pytak")
pytest.importorskip("google.protobuf")


class CotReceiver:
    """A TCP listener that keeps every CoT XML event it is sent."""

    def __init__(self) -> None:
        self.data = b""
        self.server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> CotReceiver:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while chunk := await reader.read(65536):
            self.data += chunk
        writer.close()

    def events(self) -> list[tuple[str, str]]:
        """(uid, type) of each event received."""
        text = self.data.decode()
        return [(m.group(1), m.group(2)) for m in re.finditer(
            r'<event [^>]*uid="([^"]+)" type="([^"]+)"', text)]


def test_scenario_played_fast_reaches_a_tak_client(tmp_path):
    async def main() -> tuple[list[tuple[str, str]], object]:
        async with CotReceiver() as rx:
            stats = await serve(ServeConfig(
                store_path=tmp_path / "live.sqlite",
                scenario=load_scenario(find_scenario("romania-2025-09-13")), speed=4000.0,
                cot_url=f"tcp://127.0.0.1:{rx.port}"))
            for _ in range(100):  # let the receiver read what was sent (a loaded machine)
                if len(rx.events()) >= stats.cot_sent:
                    break
                await asyncio.sleep(0.1)
            return rx.events(), stats

    events, stats = asyncio.run(main())
    uids = {uid for uid, _ in events}
    assert any(u.startswith("dronewall.T") for u in uids)
    assert any(t == "b-a-g" for _, t in events)  # the incursion alert
    assert stats.cot_sent == len(events) > 50
    with RunStore.open(tmp_path / "live.sqlite") as store:
        topics = store.topics()
        assert topics["detections"] == stats.detections and topics["tracks"] == stats.tracks
        assert store.verify()[0]
        starts = [m for _, _, m in store.messages(["events"]) if m.kind == "incursion_start"]
        assert len(starts) == 1 and starts[0].country == "ROU"


def test_sapient_node_reports_become_a_track_on_tak(tmp_path):
    from dronewall.interop.sapient.convert import detection_report, registration_for
    from dronewall.interop.sapient.ids import node_uuid
    from dronewall.interop.sapient.transport import SapientClient

    node = Sensor(id="third-party-radar", kind="radar", position=GeoPoint(lat=52.0, lon=23.0))
    t0 = 1_757_451_600.0
    cov = [[400.0, 0.0, 0.0], [0.0, 400.0, 0.0], [0.0, 0.0, 900.0]]

    async def main() -> tuple[list[tuple[str, str]], object]:
        async with CotReceiver() as rx:
            port: asyncio.Future[int] = asyncio.get_running_loop().create_future()
            task = asyncio.create_task(serve(
                ServeConfig(store_path=tmp_path / "live.sqlite", sapient=("127.0.0.1", 0),
                            origin=(52.0, 23.0), watch=["POL"], duration_s=4.0,
                            cot_url=f"tcp://127.0.0.1:{rx.port}", tick_s=0.1),
                ready=lambda s: port.set_result(s.sapient_port)))
            async with SapientClient("127.0.0.1", await port) as client:
                ack = await client.register(registration_for(node, time=t0))
                assert ack.registration_ack.acceptance
                for k in range(20):  # a drone flying east at 40 m/s, reported every 2 s
                    det = Detection(id=f"d{k}", sensor_id=node.id, time=t0 + 2 * k,
                                    measurement=GeodeticPosition(
                                        lat=52.05, lon=23.0 + 80.0 * k / 68_600, alt=500.0),
                                    covariance=cov)
                    await client.send(detection_report(det, node_id=node_uuid(node.id)))
            stats = await task
            await asyncio.sleep(0.3)
            return rx.events(), stats

    events, stats = asyncio.run(main())
    assert stats.detections == 20
    track_events = [(u, t) for u, t in events if u == "dronewall.T0001"]
    assert track_events and all(t.startswith("a-") and "-A" in t for _, t in track_events)


def test_one_time_base_only(tmp_path):
    with pytest.raises(ServeError, match="one time base"):
        asyncio.run(serve(ServeConfig(store_path=tmp_path / "x.sqlite", sapient=("127.0.0.1", 0),
                                      scenario=load_scenario(find_scenario("alaska-adiz")))))
    with pytest.raises(ServeError, match="origin"):
        asyncio.run(serve(ServeConfig(store_path=tmp_path / "x.sqlite",
                                      sapient=("127.0.0.1", 0))))

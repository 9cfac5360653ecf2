// dronewall COP: the operator's map app. Loads the static picture (zones, sensors,
// assets) over REST, then follows the WebSocket stream of tracks, events,
// recommendations and decisions. Everything is served by the dronewall process itself.

import "./style.css";
import L from "leaflet";
import { AlertsPanel } from "./alerts";
import { Api, ApiError, setToken, takeToken } from "./api";
import { AirspaceLayer } from "./airspacelayer";
import {
  assetsLayer,
  interestBounds,
  referenceLon,
  sensorsLayer,
  zonesLayer,
} from "./basemap";
import { byId, el, hms, toast } from "./dom";
import { setLonRef } from "./geo";
import { Inspector } from "./inspector";
import { Picture, TRAIL_SECONDS } from "./picture";
import { RecommendationsPanel } from "./recommendations";
import { ReplayControls } from "./replay";
import { CLASS_NAMES, IDENTITY_COLOURS, IDENTITY_ORDER, symbolIcon } from "./symbols";
import { Timeline } from "./timeline";
import { type LabelMode, TrackLayer } from "./tracklayer";
import type { Asset, Decision, Delta, RunInfo, Sensor, Snapshot, Zone } from "./types";
import { ROLE_RANK } from "./types";

interface Hooks {
  ready: boolean;
  picture: Picture;
  layer?: TrackLayer;
  map?: L.Map;
  role?: string;
  user?: string;
  messages: number;
  connected: boolean;
  error?: string;
}

const picture = new Picture();
const hooks: Hooks = { ready: false, picture, messages: 0, connected: false };
(window as unknown as { __dronewall: Hooks }).__dronewall = hooks;

function showLogin(message: string): void {
  const box = byId("login");
  box.hidden = false;
  byId("login-msg").textContent = message;
  const input = byId<HTMLInputElement>("login-token");
  byId("login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    setToken(input.value.trim());
    const url = new URL(window.location.href);
    url.searchParams.delete("token");
    window.location.href = url.toString();
  });
}

function legend(): L.Control {
  const ctl = new L.Control({ position: "bottomleft" });
  ctl.onAdd = () => {
    const box = el("details", { class: "legend", id: "legend", open: "" }, el("summary", {}, "legend"));
    const ids = el("div", { class: "legend-col" }, el("b", {}, "identity"));
    for (const id of IDENTITY_ORDER) {
      ids.append(
        el(
          "div",
          {},
          el("span", { class: "chip", style: `background:${IDENTITY_COLOURS[id]}` }),
          id.replace("_", " "),
        ),
      );
    }
    const cls = el("div", { class: "legend-col" }, el("b", {}, "class"));
    for (const c of CLASS_NAMES) cls.append(el("div", {}, symbolIcon(c, "unknown", 16), c.replace("_", " ")));
    box.append(el("div", { class: "legend-body" }, ids, cls));
    L.DomEvent.disableClickPropagation(box);
    return box;
  };
  return ctl;
}

async function main(): Promise<void> {
  const token = takeToken();
  if (!token) {
    showLogin("This page needs an access token: open it with ?token=... or paste one.");
    return;
  }
  const api = new Api(token);
  let who: { user: string; role: string };
  try {
    who = await api.get<{ user: string; role: string }>("/api/whoami");
  } catch (err) {
    const msg = err instanceof ApiError ? err.detail : String(err);
    showLogin(`The server refused the token (${msg}).`);
    hooks.error = msg;
    return;
  }
  hooks.user = who.user;
  hooks.role = who.role;
  const rank = ROLE_RANK[who.role] ?? 0;
  byId("user").textContent = `${who.user} (${who.role})`;
  document.body.dataset.role = who.role;

  const [run, sensors, national, zones, assets, decisions] = await Promise.all([
    api.get<RunInfo>("/api/run"),
    api.get<Sensor[]>("/api/sensors"),
    api.get<Zone[]>("/api/zones?kind=national_airspace"),
    api.get<Zone[]>("/api/zones?kind=adiz,restricted,custom"),
    api.get<Asset[]>("/api/assets").catch(() => [] as Asset[]),
    api.get<Decision[]>("/api/decisions").catch(() => [] as Decision[]),
  ]);
  picture.run = run;
  picture.time = run.time ?? 0;
  picture.addDecisions(decisions);
  setLonRef(referenceLon(sensors, assets, zones));
  byId("run-title").textContent = run.title || run.scenario || "dronewall";

  // Map: no tiles; a plain background (CSS) with the national airspace polygons.
  const map = L.map("map", {
    preferCanvas: true,
    minZoom: 3,
    maxZoom: 15,
    zoomSnap: 0.5,
    worldCopyJump: false,
  });
  hooks.map = map;
  map.attributionControl.setPrefix("Leaflet");
  map.attributionControl.addAttribution(
    "No base map tiles (offline): borders and territorial sea © OpenStreetMap contributors, ODbL",
  );
  const overlayRenderer = L.canvas({ padding: 0.3 });
  new AirspaceLayer(national).addTo(map);
  const zoneLayer = zonesLayer(zones, overlayRenderer).addTo(map);
  const sensorLayer = sensorsLayer(sensors, overlayRenderer).addTo(map);
  const assetLayer = assetsLayer(assets, overlayRenderer).addTo(map);
  const layer = new TrackLayer(picture);
  hooks.layer = layer;
  const bounds = interestBounds(sensors, assets, zones);
  if (bounds) map.fitBounds(bounds, { padding: [20, 20] });
  else map.setView([52, 22], 5);
  layer.addTo(map);
  L.control
    .layers(undefined, { zones: zoneLayer, "sensors and coverage": sensorLayer, "protected assets": assetLayer }, { position: "topright" })
    .addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
  legend().addTo(map);

  const sensorMap = new Map(sensors.map((s) => [s.id, s]));
  const inspector = new Inspector(picture, api, sensorMap);
  const select = (id: string | null) => {
    layer.selected = id;
    inspector.show(id);
    layer.redraw();
    const t = id ? picture.tracks.get(id) : undefined;
    if (t && !map.getBounds().contains([t.lat, t.lon])) map.panTo([t.lat, t.lon]);
  };
  inspector.show(null);
  map.on("click", (e: L.LeafletMouseEvent) => select(layer.hit(e.containerPoint)));

  const alerts = new AlertsPanel(picture, api, rank >= 1, select);
  const recs = new RecommendationsPanel(picture, api, who.role === "commander", select);
  const replay = new ReplayControls(picture, api, rank >= 1);
  const timeline = new Timeline(picture, select, (t) => replay.seek(t));
  replay.update();
  recs.render();

  const labels = byId<HTMLSelectElement>("labels");
  labels.addEventListener("change", () => {
    layer.labels = labels.value as LabelMode;
    layer.redraw();
  });
  const trails = byId<HTMLInputElement>("trails");
  trails.addEventListener("change", () => {
    layer.showTrails = trails.checked;
    layer.redraw();
  });

  const header = () => {
    byId("clock").textContent = `${hms(picture.time)} UTC`;
    const mode = byId("mode");
    mode.textContent = picture.run.mode === "replay" ? `REPLAY ${picture.run.speed ?? 1}×${picture.run.paused ? " paused" : ""}` : "LIVE";
    mode.className = `badge mode-${picture.run.mode}`;
    const counts: Record<string, number> = {};
    for (const t of picture.tracks.values()) counts[t.identity] = (counts[t.identity] ?? 0) + 1;
    byId("counts").replaceChildren(
      `${picture.tracks.size} tracks `,
      ...IDENTITY_ORDER.filter((i) => counts[i]).map((i) =>
        el("span", { class: "count", style: `color:${IDENTITY_COLOURS[i]}` }, `${counts[i]} ${i.replace("_", " ")} `),
      ),
    );
  };

  // Trails for a fresh snapshot: the recent stored history of each track (small pictures
  // only; a big raid builds its trails from the stream).
  const loadTrails = async () => {
    const ids = [...picture.tracks.keys()];
    if (ids.length > 200) return;
    const since = picture.time - TRAIL_SECONDS;
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++];
        try {
          const hist = await api.get<{ lat: number; lon: number; time: number }[]>(
            `/api/tracks/${encodeURIComponent(id)}/history?since=${since}`,
          );
          picture.prependHistory(id, hist);
        } catch {
          // a track gone since the snapshot: no trail to add
        }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    layer.redraw();
  };

  let lastHeader = 0;
  let lastMode = picture.run.mode;
  picture.onChange((c) => {
    if (picture.run.mode !== lastMode && !c.snapshot) {
      lastMode = picture.run.mode;
      alerts.renderAll();
      recs.render();
    }
    if (c.tracks) layer.redraw();
    if (c.snapshot) {
      lastMode = picture.run.mode;
      void loadTrails();
      alerts.renderAll();
      timeline.reset();
      recs.render();
    } else {
      if (c.events.length) {
        alerts.add(c.events);
        timeline.add(c.events);
      }
      if (c.recommendations) recs.render();
      for (const d of c.decisions) if (d.event_id) alerts.markAcked(d.event_id);
    }
    timeline.draw();
    replay.update();
    const now = performance.now();
    if (now - lastHeader > 250 || c.snapshot) {
      lastHeader = now;
      header();
    }
    if (layer.selected && picture.tracks.has(layer.selected)) void inspector.refresh();
  });

  // The stream, reconnecting with a growing delay.
  const conn = byId("conn");
  let delay = 1000;
  const connect = () => {
    const ws = new WebSocket(api.streamUrl());
    ws.onopen = () => {
      delay = 1000;
      hooks.connected = true;
      conn.textContent = "connected";
      conn.className = "badge ok";
    };
    ws.onmessage = (ev) => {
      hooks.messages++;
      let msg: Snapshot | Delta | { type: string; detail?: string };
      try {
        msg = JSON.parse(ev.data as string);
      } catch {
        return;
      }
      if (msg.type === "snapshot") picture.applySnapshot(msg as Snapshot);
      else if (msg.type === "delta") picture.applyDelta(msg as Delta);
      else if (msg.type === "error") toast(`stream: ${(msg as { detail?: string }).detail ?? "error"}`, true);
    };
    ws.onclose = (ev) => {
      hooks.connected = false;
      conn.textContent = "disconnected";
      conn.className = "badge bad";
      if (ev.code === 1008 || ev.code === 4401 || ev.code === 4403) {
        toast(`stream refused: ${ev.reason || ev.code}`, true);
        return;
      }
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    };
  };
  connect();
  hooks.ready = true;
}

main().catch((err) => {
  hooks.error = String(err);
  toast(`start-up failed: ${String(err)}`, true);
  console.error(err);
});

// The track inspector: the selected track's state, class probabilities, the evidence for
// its identity (identity-change events with rule and evidence) and its sensors.

import type { Api } from "./api";
import { byId, el, fmt, hms, ymdhms } from "./dom";
import type { Picture } from "./picture";
import { IDENTITY_COLOURS } from "./symbols";
import type { EventMsg, Sensor, Track } from "./types";

type TrackDetail = Omit<Track, "sensors" | "evidence"> & {
  evidence?: EventMsg[];
  sensors?: (string | Sensor)[];
  sensors_detail?: Sensor[];
};

export class Inspector {
  private box = byId("inspector");
  private trackId: string | null = null;
  private lastFetch = 0;
  private inflight = false;

  constructor(
    private picture: Picture,
    private api: Api,
    private sensors: Map<string, Sensor>,
  ) {}

  show(trackId: string | null): void {
    this.trackId = trackId;
    this.lastFetch = 0;
    if (!trackId) {
      this.box.replaceChildren(el("div", { class: "empty" }, "click a track to inspect it"));
      return;
    }
    void this.refresh(true);
  }

  /** Refetch the selected track at most every 2 s (called on stream updates). */
  async refresh(force = false): Promise<void> {
    const id = this.trackId;
    if (!id || this.inflight) return;
    const now = performance.now();
    if (!force && now - this.lastFetch < 2000) return;
    this.lastFetch = now;
    this.inflight = true;
    try {
      const t = await this.api.get<TrackDetail>(`/api/tracks/${encodeURIComponent(id)}`);
      if (this.trackId === id) this.render(t);
    } catch (err) {
      if (this.trackId === id) {
        const row = this.picture.tracks.get(id);
        this.box.replaceChildren(
          el("div", { class: "insp-head" }, id),
          el("div", { class: "empty" }, `no detail: ${(err as Error).message}`),
          el("div", {}, row ? `last seen ${hms(row.time)}` : ""),
        );
      }
    } finally {
      this.inflight = false;
    }
  }

  private render(t: TrackDetail): void {
    const idn = t.identity ?? "pending";
    const speed = Math.hypot(t.ve, t.vn);
    const course = ((Math.atan2(t.ve, t.vn) * 180) / Math.PI + 360) % 360;
    const kv = (k: string, v: string) => el("tr", {}, el("th", {}, k), el("td", {}, v));
    const table = el(
      "table",
      { class: "kv" },
      kv("identity", idn.replace("_", " ")),
      kv("class", t.class_label ?? "-"),
      kv("status", t.status),
      kv("position", `${fmt(t.lat, 5)}, ${fmt(t.lon, 5)}`),
      kv("altitude", `${fmt(t.alt)} m`),
      kv("speed", `${fmt(speed)} m/s (${fmt(speed * 3.6)} km/h), course ${fmt(course)}°`),
      kv("climb", `${fmt(t.vu, 1)} m/s`),
      kv("time", ymdhms(t.time)),
      kv("born", ymdhms(t.born)),
      kv("hits", fmt(t.hits ?? 0)),
      t.transponder
        ? kv(
            "transponder",
            [t.transponder.callsign, t.transponder.icao24, t.transponder.squawk]
              .filter(Boolean)
              .join(" / "),
          )
        : null,
    );
    const probs = Object.entries(t.class_probs ?? {}).sort((a, b) => b[1] - a[1]);
    const probBox = el("div", { class: "probs" });
    for (const [k, p] of probs.slice(0, 6)) {
      probBox.append(
        el(
          "div",
          { class: "prob" },
          el("span", { class: "pk" }, k),
          el("span", { class: "bar", style: `width:${Math.round(p * 100)}%` }),
          el("span", { class: "pv" }, p.toFixed(2)),
        ),
      );
    }
    const sensorIds = (t.sensors ?? []).map((s) => (typeof s === "string" ? s : s.id));
    const sensorList = el("ul", { class: "sensors" });
    const detail = new Map((t.sensors_detail ?? []).map((s) => [s.id, s]));
    for (const s of t.sensors ?? []) {
      const sen = typeof s === "string" ? (detail.get(s) ?? this.sensors.get(s)) : s;
      const id = typeof s === "string" ? s : s.id;
      sensorList.append(
        el(
          "li",
          { "data-sensor": id },
          sen
            ? `${sen.name || sen.id} (${sen.kind}${sen.max_range_m ? `, ${Math.round(sen.max_range_m / 1000)} km` : ""})`
            : id,
        ),
      );
    }
    if (!sensorIds.length) sensorList.append(el("li", { class: "empty" }, "none reported"));
    const ev = el("ul", { class: "evidence" });
    for (const e of t.evidence ?? []) {
      const d = (e.details ?? {}) as Record<string, unknown>;
      const evid = d.evidence && typeof d.evidence === "object" ? d.evidence : {};
      const items = Object.entries(evid as Record<string, unknown>).map(
        ([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`,
      );
      ev.append(
        el(
          "li",
          {},
          el(
            "div",
            {},
            `${hms(e.time)} `,
            el("b", {}, `${String(d.from ?? "?")} → ${String(d.to ?? "?")}`),
            d.rule ? ` (rule ${String(d.rule)})` : "",
          ),
          el("div", { class: "ev-msg" }, e.message),
          items.length ? el("div", { class: "ev-items" }, items.join(" · ")) : null,
        ),
      );
    }
    if (!(t.evidence ?? []).length) ev.append(el("li", { class: "empty" }, "no identity changes yet"));
    const parts: (HTMLElement | null)[] = [
      el(
        "div",
        { class: "insp-head" },
        el("span", { class: "chip", style: `background:${IDENTITY_COLOURS[idn] ?? "#999"}` }),
        el("b", { id: "insp-id" }, t.id),
        ` ${idn.replace("_", " ")} ${t.class_label ?? ""}`,
      ),
      table,
      probs.length ? el("h4", {}, "class probabilities") : null,
      probs.length ? probBox : null,
      el("h4", {}, "identity evidence"),
      ev,
      el("h4", {}, "supporting sensors"),
      sensorList,
    ];
    this.box.replaceChildren(...parts.filter((x): x is HTMLElement => x !== null));
  }
}

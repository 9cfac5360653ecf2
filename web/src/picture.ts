// The picture the page shows: current tracks with short trails, events, recommendations
// and decisions, updated from the API's WebSocket snapshot/delta messages.

import type {
  Decision,
  Delta,
  EventMsg,
  Identity,
  Recommendation,
  RunInfo,
  Snapshot,
  TrackRow,
} from "./types";

export const TRAIL_SECONDS = 600; // trail length, seconds of the run's time
export const TRAIL_POINTS = 120; // and at most this many positions per track
const MAX_EVENTS = 2000;

const DEFAULT_FIELDS = [
  "id",
  "lat",
  "lon",
  "alt",
  "speed",
  "course",
  "vu",
  "status",
  "identity",
  "class_label",
  "n_sensors",
  "time",
];

export interface Trail {
  // Flat [lat, lon, time, lat, lon, time, ...], oldest first.
  pts: number[];
}

/** Drop trail points older than TRAIL_SECONDS before the newest, and beyond TRAIL_POINTS. */
function trim(p: number[]): void {
  const newest = p[p.length - 1];
  let drop = 0;
  while (drop < p.length - 3 && p[drop + 2] < newest - TRAIL_SECONDS) drop += 3;
  drop = Math.max(drop, p.length - TRAIL_POINTS * 3);
  if (drop > 0) p.splice(0, drop);
}

export type Change = {
  snapshot: boolean;
  tracks: boolean;
  events: EventMsg[];
  recommendations: boolean;
  decisions: Decision[];
  run: boolean;
};

export class Picture {
  tracks = new Map<string, TrackRow>();
  trails = new Map<string, Trail>();
  events: EventMsg[] = [];
  eventIds = new Set<string>();
  recommendations = new Map<string, Recommendation>();
  decisions: Decision[] = [];
  acked = new Map<string, Decision>(); // event id -> acknowledgement
  decided = new Map<string, Decision>(); // recommendation id -> decision
  run: RunInfo = { mode: "live" };
  time = 0;
  fields: string[] = DEFAULT_FIELDS;
  updates = 0; // number of stream messages applied (tests read it)
  private listeners: ((c: Change) => void)[] = [];

  onChange(fn: (c: Change) => void): void {
    this.listeners.push(fn);
  }

  private emit(c: Change): void {
    for (const fn of this.listeners) fn(c);
  }

  private rowToTrack(row: unknown[]): TrackRow {
    const f = this.fields;
    const t: Record<string, unknown> = {};
    for (let i = 0; i < f.length; i++) t[f[i]] = row[i];
    const tr = t as unknown as TrackRow;
    tr.identity = (tr.identity ?? "pending") as Identity;
    return tr;
  }

  private upsertTrack(row: unknown[]): void {
    const t = this.rowToTrack(row);
    this.tracks.set(t.id, t);
    let trail = this.trails.get(t.id);
    if (!trail) {
      trail = { pts: [] };
      this.trails.set(t.id, trail);
    }
    const p = trail.pts;
    const n = p.length;
    if (n === 0 || p[n - 3] !== t.lat || p[n - 2] !== t.lon) {
      p.push(t.lat, t.lon, t.time);
      trim(p);
    }
  }

  /** Put older positions (a track's stored history) in front of its trail. */
  prependHistory(id: string, states: { lat: number; lon: number; time: number }[]): void {
    const trail = this.trails.get(id);
    if (!trail) return;
    const first = trail.pts.length ? trail.pts[2] : Number.POSITIVE_INFINITY;
    const older: number[] = [];
    for (const s of states) if (s.time < first) older.push(s.lat, s.lon, s.time);
    if (!older.length) return;
    trail.pts = older.concat(trail.pts);
    trim(trail.pts);
  }

  private addEvents(evs: EventMsg[] | undefined): EventMsg[] {
    const fresh: EventMsg[] = [];
    for (const e of evs ?? []) {
      if (this.eventIds.has(e.id)) continue;
      this.eventIds.add(e.id);
      this.events.push(e);
      fresh.push(e);
    }
    if (this.events.length > MAX_EVENTS) {
      const drop = this.events.splice(0, this.events.length - MAX_EVENTS);
      for (const e of drop) this.eventIds.delete(e.id);
    }
    return fresh;
  }

  addDecisions(ds: Decision[] | undefined): Decision[] {
    const fresh: Decision[] = [];
    for (const d of ds ?? []) {
      if (this.decisions.some((x) => x.id === d.id)) continue;
      this.decisions.push(d);
      fresh.push(d);
      if (d.action === "acknowledge" && d.event_id) this.acked.set(d.event_id, d);
      if (d.recommendation_id && d.action !== "acknowledge") {
        this.decided.set(d.recommendation_id, d);
        const r = this.recommendations.get(d.recommendation_id);
        if (r && (r.status ?? "pending") === "pending") {
          r.status = d.action === "approve" ? "approved" : "rejected";
        }
      }
    }
    return fresh;
  }

  applySnapshot(s: Snapshot): void {
    this.fields = s.track_fields?.length ? s.track_fields : DEFAULT_FIELDS;
    this.tracks.clear();
    this.trails.clear();
    this.events = [];
    this.eventIds.clear();
    this.recommendations.clear();
    this.time = s.time;
    this.run = s.run ?? this.run;
    for (const row of s.tracks ?? []) this.upsertTrack(row);
    const evs = this.addEvents(s.events);
    for (const r of s.recommendations ?? []) this.recommendations.set(r.id, r);
    const ds = this.addDecisions(s.decisions);
    this.updates++;
    this.emit({
      snapshot: true,
      tracks: true,
      events: evs,
      recommendations: true,
      decisions: ds,
      run: true,
    });
  }

  applyDelta(d: Delta): void {
    this.time = d.time ?? this.time;
    for (const row of d.tracks ?? []) this.upsertTrack(row);
    for (const id of d.removed ?? []) {
      this.tracks.delete(id);
      this.trails.delete(id);
    }
    const evs = this.addEvents(d.events);
    for (const r of d.recommendations ?? []) {
      const dec = this.decided.get(r.id);
      if (dec && (r.status ?? "pending") === "pending") {
        r.status = dec.action === "approve" ? "approved" : "rejected";
      }
      this.recommendations.set(r.id, r);
    }
    const ds = this.addDecisions(d.decisions);
    if (d.run) this.run = d.run;
    this.updates++;
    this.emit({
      snapshot: false,
      tracks: (d.tracks?.length ?? 0) > 0 || (d.removed?.length ?? 0) > 0,
      events: evs,
      recommendations: (d.recommendations?.length ?? 0) > 0 || ds.length > 0,
      decisions: ds,
      run: !!d.run,
    });
  }
}

// All tracks, their trails and labels drawn on one canvas as a Leaflet layer: one path
// per identity colour for the trails (decimated in screen space), a pre-rendered sprite
// per symbol, labels only when few tracks are in view. The canvas is redrawn only when
// the picture or the view changes (at most once per animation frame).

import L from "leaflet";
import { CanvasLayer } from "./canvaslayer";
import { mercX, mercY, wrapLon } from "./geo";
import type { Picture } from "./picture";
import { IDENTITY_COLOURS, IDENTITY_ORDER, SPRITE_HALF, sprite } from "./symbols";
import type { Identity, TrackRow } from "./types";

export type LabelMode = "auto" | "on" | "off";
const AUTO_LABEL_MAX = 150; // label every visible track when no more than this are visible

export class TrackLayer extends CanvasLayer {
  selected: string | null = null;
  labels: LabelMode = "auto";
  showTrails = true;
  drawMs: number[] = []; // last draw durations (ms), for the performance test
  visible = 0;

  constructor(private picture: Picture) {
    super("tracks", 450);
  }

  /** Canvas pixel of a lat/lon for the current view (no allocations). */
  private projector(): (lat: number, lon: number, out: Float64Array) => void {
    const { scale, ox, oy } = this.view();
    return (lat, lon, out) => {
      out[0] = mercX(lon) * scale - ox;
      out[1] = mercY(lat) * scale - oy;
    };
  }

  draw(): void {
    if (!this.lmap) return;
    const t0 = performance.now();
    const ctx = this.clear();
    const { w, h } = this.view();
    const proj = this.projector();
    const p = new Float64Array(2);
    const margin = 20;

    // Visible tracks, bucketed by identity, with their canvas positions.
    const buckets = new Map<Identity, { t: TrackRow; x: number; y: number }[]>();
    let visible = 0;
    for (const t of this.picture.tracks.values()) {
      proj(t.lat, t.lon, p);
      if (p[0] < -margin || p[1] < -margin || p[0] > w + margin || p[1] > h + margin) continue;
      visible++;
      const key = (IDENTITY_COLOURS[t.identity] ? t.identity : "pending") as Identity;
      let b = buckets.get(key);
      if (!b) {
        b = [];
        buckets.set(key, b);
      }
      b.push({ t, x: p[0], y: p[1] });
    }
    this.visible = visible;

    // Trails, decimated in screen space (a point closer than 3 px to the last drawn one is
    // skipped): software canvases pay per segment, and at wide zooms most are sub-pixel.
    if (this.showTrails) {
      ctx.lineWidth = 1;
      for (const id of IDENTITY_ORDER) {
        const b = buckets.get(id);
        if (!b) continue;
        ctx.beginPath();
        for (const { t, x, y } of b) {
          const trail = this.picture.trails.get(t.id);
          if (!trail || trail.pts.length < 6) continue;
          const pts = trail.pts;
          proj(pts[0], pts[1], p);
          let lx = p[0];
          let ly = p[1];
          ctx.moveTo(lx, ly);
          for (let i = 3; i < pts.length - 3; i += 3) {
            proj(pts[i], pts[i + 1], p);
            const dx = p[0] - lx;
            const dy = p[1] - ly;
            if (dx * dx + dy * dy < 9) continue;
            lx = p[0];
            ly = p[1];
            ctx.lineTo(lx, ly);
          }
          ctx.lineTo(x, y);
        }
        ctx.strokeStyle = `${IDENTITY_COLOURS[id]}99`;
        ctx.stroke();
      }
    }

    // Symbols (tentative tracks smaller and translucent), as pre-rendered sprites.
    const size = 9;
    for (const id of IDENTITY_ORDER) {
      const b = buckets.get(id);
      if (!b) continue;
      for (const { t, x, y } of b) {
        const img = sprite(t.class_label, id, t.course ?? 0, size, t.status === "tentative");
        ctx.drawImage(img, x - SPRITE_HALF, y - SPRITE_HALF, 2 * SPRITE_HALF, 2 * SPRITE_HALF);
      }
    }

    // Selection ring.
    const sel = this.selected ? this.picture.tracks.get(this.selected) : undefined;
    if (sel) {
      proj(sel.lat, sel.lon, p);
      ctx.beginPath();
      ctx.arc(p[0], p[1], 13, 0, Math.PI * 2);
      ctx.strokeStyle = "#ffffff";
      ctx.lineWidth = 2;
      ctx.stroke();
    }

    // Labels: id and class, speed (km/h) and altitude (m).
    const label = this.labels === "on" || (this.labels === "auto" && visible <= AUTO_LABEL_MAX);
    if (label || sel) {
      ctx.font = "11px system-ui, sans-serif";
      ctx.textBaseline = "top";
      ctx.lineWidth = 3;
      ctx.strokeStyle = "rgba(8,12,18,0.85)";
      ctx.fillStyle = "#e8edf2";
      // On the side the track is heading to, so that its trail stays visible.
      const put = (t: TrackRow, x: number, y: number) => {
        const l1 = `${t.id} ${t.class_label ?? "?"}`;
        const l2 = `${Math.round((t.speed ?? 0) * 3.6)} km/h ${Math.round(t.alt ?? 0)} m`;
        const west = (t.course ?? 0) > 180;
        ctx.textAlign = west ? "right" : "left";
        const lx = west ? x - 10 : x + 10;
        ctx.strokeText(l1, lx, y - 12);
        ctx.fillText(l1, lx, y - 12);
        ctx.strokeText(l2, lx, y + 1);
        ctx.fillText(l2, lx, y + 1);
      };
      if (label) {
        for (const b of buckets.values()) for (const { t, x, y } of b) put(t, x, y);
      } else if (sel) {
        proj(sel.lat, sel.lon, p);
        put(sel, p[0], p[1]);
      }
      ctx.textAlign = "left";
    }
    const ms = performance.now() - t0;
    this.drawMs.push(ms);
    if (this.drawMs.length > 200) this.drawMs.splice(0, this.drawMs.length - 200);
  }

  /** The track nearest a container point, within `radius` px. */
  hit(cp: L.Point, radius = 12): string | null {
    let best: string | null = null;
    let bestD = radius * radius;
    for (const t of this.picture.tracks.values()) {
      const p = this.lmap.latLngToContainerPoint([t.lat, wrapLon(t.lon)]);
      const d = (p.x - cp.x) ** 2 + (p.y - cp.y) ** 2;
      if (d < bestD) {
        bestD = d;
        best = t.id;
      }
    }
    return best;
  }
}

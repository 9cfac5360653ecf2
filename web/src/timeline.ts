// The incursion timeline: one bar per incursion (national airspace) and per ADIZ visit,
// from its start event to its end event (or now), on the run's time axis.

import { byId, hms } from "./dom";
import type { Picture } from "./picture";
import type { EventMsg } from "./types";

interface Bar {
  key: string;
  track: string;
  label: string;
  kind: "incursion" | "adiz";
  t0: number;
  t1: number | null;
}

const PAIRS: Record<string, ["incursion" | "adiz", boolean]> = {
  incursion_start: ["incursion", true],
  incursion_end: ["incursion", false],
  adiz_entry: ["adiz", true],
  adiz_exit: ["adiz", false],
};

export class Timeline {
  private canvas = byId<HTMLCanvasElement>("timeline");
  private bars: Bar[] = [];
  private open = new Map<string, Bar>();
  private hits: { x0: number; x1: number; y0: number; y1: number; track: string }[] = [];
  private seen = new Set<string>();

  constructor(
    private picture: Picture,
    private select: (trackId: string) => void,
    private seek: ((t: number) => void) | null,
  ) {
    this.canvas.addEventListener("click", (e) => this.click(e));
    new ResizeObserver(() => this.draw()).observe(this.canvas.parentElement ?? this.canvas);
  }

  reset(): void {
    this.bars = [];
    this.open.clear();
    this.seen.clear();
    this.add(this.picture.events);
  }

  add(evs: EventMsg[]): void {
    for (const e of evs) {
      const pair = PAIRS[e.kind];
      if (!pair || this.seen.has(e.id)) continue;
      this.seen.add(e.id);
      const [kind, start] = pair;
      const where = e.country ?? e.zone_id ?? "";
      const key = `${kind}|${e.track_id ?? ""}|${e.zone_id ?? e.country ?? ""}`;
      if (start) {
        const b: Bar = {
          key,
          track: e.track_id ?? "",
          label: `${e.track_id ?? "?"} ${where}`,
          kind,
          t0: e.time,
          t1: null,
        };
        this.bars.push(b);
        this.open.set(key, b);
      } else {
        const b = this.open.get(key);
        if (b) {
          b.t1 = e.time;
          this.open.delete(key);
        }
      }
    }
  }

  private range(): [number, number] {
    const run = this.picture.run;
    let t0 = run.start ?? Number.POSITIVE_INFINITY;
    let t1 = run.end ?? this.picture.time;
    for (const b of this.bars) t0 = Math.min(t0, b.t0);
    if (!Number.isFinite(t0)) t0 = this.picture.time - 600;
    t1 = Math.max(t1, this.picture.time, t0 + 60);
    return [t0, t1];
  }

  draw(): void {
    const cv = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = cv.clientWidth;
    const h = cv.clientHeight;
    if (!w || !h) return;
    if (cv.width !== Math.round(w * dpr) || cv.height !== Math.round(h * dpr)) {
      cv.width = Math.round(w * dpr);
      cv.height = Math.round(h * dpr);
    }
    const ctx = cv.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const [t0, t1] = this.range();
    const left = 90;
    const axis = 14;
    const x = (t: number) => left + ((t - t0) / (t1 - t0)) * (w - left - 8);
    // Axis ticks.
    ctx.fillStyle = "#8796a5";
    ctx.font = "10px system-ui, sans-serif";
    ctx.textBaseline = "top";
    const span = t1 - t0;
    const steps = [60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600];
    const step = steps.find((s) => span / s <= 8) ?? 43200;
    ctx.strokeStyle = "#2a3542";
    ctx.lineWidth = 1;
    for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
      const xx = Math.round(x(t)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(xx, 0);
      ctx.lineTo(xx, h - axis);
      ctx.stroke();
      ctx.fillText(hms(t).slice(0, 5), xx + 2, h - axis + 2);
    }
    // Bars, newest rows at the bottom.
    const rows = this.bars;
    const avail = h - axis - 4;
    const rowH = Math.max(2, Math.min(14, avail / Math.max(rows.length, 1)));
    const shown = rows.slice(-Math.floor(avail / rowH));
    this.hits = [];
    shown.forEach((b, i) => {
      const y = 2 + i * rowH;
      const xa = x(b.t0);
      const xb = x(b.t1 ?? this.picture.time);
      ctx.fillStyle = b.kind === "incursion" ? "#e5322d" : "#c77dff";
      ctx.globalAlpha = b.t1 === null ? 1 : 0.7;
      ctx.fillRect(xa, y + 1, Math.max(2, xb - xa), Math.max(1, rowH - 2));
      ctx.globalAlpha = 1;
      if (rowH >= 10) {
        ctx.fillStyle = "#c9d3dd";
        ctx.fillText(b.label.slice(0, 14), 2, y);
      }
      this.hits.push({ x0: xa - 2, x1: Math.max(xb, xa + 2) + 2, y0: y, y1: y + rowH, track: b.track });
    });
    if (!rows.length) {
      ctx.fillStyle = "#8796a5";
      ctx.fillText("no incursions yet", left, 4);
    }
    // Now.
    const xn = x(this.picture.time);
    ctx.strokeStyle = "#ffffff";
    ctx.beginPath();
    ctx.moveTo(xn, 0);
    ctx.lineTo(xn, h - axis);
    ctx.stroke();
  }

  private click(e: MouseEvent): void {
    const r = this.canvas.getBoundingClientRect();
    const px = e.clientX - r.left;
    const py = e.clientY - r.top;
    for (const hb of this.hits) {
      if (px >= hb.x0 && px <= hb.x1 && py >= hb.y0 && py <= hb.y1) {
        if (hb.track) this.select(hb.track);
        return;
      }
    }
    if (this.seek && px > 90) {
      const [t0, t1] = this.range();
      this.seek(t0 + ((px - 90) / (r.width - 98)) * (t1 - t0));
    }
  }

  get count(): number {
    return this.bars.length;
  }
}

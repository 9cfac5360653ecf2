// The base map: national airspace polygons (land + territorial sea) on one canvas. Rings
// are projected to Web Mercator once; each redraw scales them, skips rings out of view
// and points closer than a pixel to the last one drawn, so ~50,000 border points cost a
// few milliseconds (Leaflet's vector layers re-clip and re-simplify every polygon on
// every pan).

import { CanvasLayer } from "./canvaslayer";
import { mercY, wrapGeometry } from "./geo";
import type { Zone } from "./types";

interface Ring {
  xy: Float64Array; // x0, y0, x1, y1, ... in Web Mercator units [0, 1]
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export class AirspaceLayer extends CanvasLayer {
  private polys: Ring[][] = []; // one list of rings (outer and holes) per polygon

  constructor(
    zones: Zone[],
    private fill = "#25313d",
    private stroke = "#7d8fa3",
  ) {
    super("airspace", 250);
    for (const z of zones) {
      const g = wrapGeometry(z.geometry);
      const polys =
        g.type === "Polygon"
          ? [g.coordinates as number[][][]]
          : (g.coordinates as number[][][][]);
      for (const poly of polys) this.polys.push(poly.map((r) => this.ring(r)));
    }
  }

  private ring(coords: number[][]): Ring {
    const xy = new Float64Array(coords.length * 2);
    let x0 = Number.POSITIVE_INFINITY;
    let y0 = Number.POSITIVE_INFINITY;
    let x1 = Number.NEGATIVE_INFINITY;
    let y1 = Number.NEGATIVE_INFINITY;
    coords.forEach(([lon, lat], i) => {
      // Rings are already wrapped as a whole: project without re-wrapping each point.
      const x = 0.5 + lon / 360;
      const y = mercY(lat);
      xy[2 * i] = x;
      xy[2 * i + 1] = y;
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x);
      y1 = Math.max(y1, y);
    });
    return { xy, x0, y0, x1, y1 };
  }

  draw(): void {
    if (!this.lmap) return;
    const ctx = this.clear();
    const { scale, ox, oy, w, h } = this.view();
    const path = new Path2D();
    for (const poly of this.polys) {
      const outer = poly[0];
      if (!outer) continue;
      if (outer.x1 * scale - ox < 0 || outer.x0 * scale - ox > w) continue;
      if (outer.y1 * scale - oy < 0 || outer.y0 * scale - oy > h) continue;
      for (const r of poly) {
        const xy = r.xy;
        let lx = xy[0] * scale - ox;
        let ly = xy[1] * scale - oy;
        path.moveTo(lx, ly);
        for (let i = 2; i < xy.length; i += 2) {
          const x = xy[i] * scale - ox;
          const y = xy[i + 1] * scale - oy;
          if (Math.abs(x - lx) < 1 && Math.abs(y - ly) < 1) continue;
          path.lineTo(x, y);
          lx = x;
          ly = y;
        }
        path.closePath();
      }
    }
    ctx.fillStyle = this.fill;
    ctx.fill(path, "evenodd");
    ctx.strokeStyle = this.stroke;
    ctx.lineWidth = 1;
    ctx.stroke(path);
  }
}

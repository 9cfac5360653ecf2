// A Leaflet layer drawing on its own canvas (a little larger than the view, so a pan
// shows no empty border), redrawn when the view settles and scaled by CSS during the
// zoom animation, like Leaflet's own canvas renderer.

import L from "leaflet";

const PADDING = 0.3; // canvas margin on each side, fraction of the view size

export abstract class CanvasLayer extends L.Layer {
  protected canvas!: HTMLCanvasElement;
  protected ctx!: CanvasRenderingContext2D;
  protected lmap!: L.Map;
  protected topLeft = L.point(0, 0); // layer point of the canvas's top-left corner
  private center = L.latLng(0, 0);
  private zoom = 0;
  private pending = 0;

  constructor(
    private paneName: string,
    private zIndex: number,
  ) {
    super();
  }

  onAdd(map: L.Map): this {
    this.lmap = map;
    const pane = map.getPane(this.paneName) ?? map.createPane(this.paneName);
    pane.style.zIndex = String(this.zIndex);
    pane.style.pointerEvents = "none";
    this.canvas = L.DomUtil.create("canvas", "leaflet-zoom-animated", pane) as HTMLCanvasElement;
    const ctx = this.canvas.getContext("2d");
    if (!ctx) throw new Error("no 2-D canvas");
    this.ctx = ctx;
    map.on("moveend resize viewreset", this.reset, this);
    map.on("zoomanim", this.animateZoom, this);
    this.reset();
    return this;
  }

  onRemove(map: L.Map): this {
    map.off("moveend resize viewreset", this.reset, this);
    map.off("zoomanim", this.animateZoom, this);
    this.canvas.remove();
    return this;
  }

  private animateZoom(e: L.ZoomAnimEvent): void {
    const map = this.lmap as L.Map & { _getNewPixelOrigin(c: L.LatLng, z: number): L.Point };
    const scale = map.getZoomScale(e.zoom, this.zoom);
    const half = map.getSize().multiplyBy(0.5 + PADDING);
    const offset = half
      .multiplyBy(-scale)
      .add(map.project(this.center, e.zoom))
      .subtract(map._getNewPixelOrigin(e.center, e.zoom));
    L.DomUtil.setTransform(this.canvas, offset, scale);
  }

  private reset(): void {
    const map = this.lmap;
    const size = map.getSize();
    const pad = size.multiplyBy(PADDING);
    this.topLeft = map.containerPointToLayerPoint(pad.multiplyBy(-1)).round();
    this.center = map.getCenter();
    this.zoom = map.getZoom();
    L.DomUtil.setPosition(this.canvas, this.topLeft);
    const w = Math.round(size.x + 2 * pad.x);
    const h = Math.round(size.y + 2 * pad.y);
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(h * dpr);
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${h}px`;
    this.draw();
  }

  /** Ask for a redraw at the next animation frame (coalesced). */
  redraw(): void {
    if (this.pending || !this.lmap) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = 0;
      this.draw();
    });
  }

  /** Scale and offset from Web Mercator unit coordinates to canvas pixels. */
  protected view(): { scale: number; ox: number; oy: number; w: number; h: number } {
    const scale = 256 * 2 ** this.lmap.getZoom();
    const o = this.lmap.getPixelOrigin();
    const dpr = window.devicePixelRatio || 1;
    return {
      scale,
      ox: o.x + this.topLeft.x,
      oy: o.y + this.topLeft.y,
      w: this.canvas.width / dpr,
      h: this.canvas.height / dpr,
    };
  }

  /** Clear the canvas and set the device-pixel transform. */
  protected clear(): CanvasRenderingContext2D {
    const ctx = this.ctx;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width / dpr, this.canvas.height / dpr);
    return ctx;
  }

  abstract draw(): void;
}

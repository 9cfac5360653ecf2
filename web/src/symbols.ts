// Track symbology: colour by NATO standard identity (STANAG 1241), shape by track class.
// Shapes are drawn as paths on a canvas, rotated to the track's course, all tracks of
// one identity in one path (one fill call per colour keeps 1,000 tracks cheap).

import type { Identity } from "./types";

export const IDENTITY_COLOURS: Record<Identity, string> = {
  hostile: "#e5322d",
  suspect: "#f28c28",
  unknown: "#f2d21b",
  friend: "#2f6fdf",
  assumed_friend: "#7fb8f0",
  neutral: "#2fae4e",
  pending: "#9a9a9a",
};

export const IDENTITY_ORDER: Identity[] = [
  "hostile",
  "suspect",
  "unknown",
  "pending",
  "neutral",
  "assumed_friend",
  "friend",
];

// Unit shapes pointing north (+y is up here; flipped when drawn), size ~1.
type Shape = { pts: number[]; closed: boolean };

const SHAPES: Record<string, Shape> = {
  // One-way attack drones: a delta wing.
  shahed: { pts: [0, 1, 0.8, -0.7, 0, -0.35, -0.8, -0.7], closed: true },
  // Decoy: a narrow delta.
  gerbera: { pts: [0, 1, 0.5, -0.7, 0, -0.45, -0.5, -0.7], closed: true },
  // Jet-powered Shahed: a delta with a long nose.
  jet_shahed: { pts: [0, 1.3, 0.25, 0.2, 0.8, -0.7, -0.8, -0.7, -0.25, 0.2], closed: true },
  // Cruise missile: a long thin dart.
  cruise_missile: { pts: [0, 1.4, 0.25, -0.9, 0, -0.6, -0.25, -0.9], closed: true },
  // Fighter: a chevron.
  fighter: { pts: [0, 1, 0.9, -0.8, 0, -0.2, -0.9, -0.8], closed: true },
  // Bomber: a wide flat chevron.
  bomber: { pts: [0, 0.8, 1.2, -0.5, 0.6, -0.6, 0, -0.1, -0.6, -0.6, -1.2, -0.5], closed: true },
  // Airliner: a cross-shaped aircraft.
  airliner: {
    pts: [0, 1, 0.15, 0.2, 1, -0.1, 1, -0.3, 0.15, -0.2, 0.15, -0.7, 0.4, -0.95, -0.4, -0.95,
      -0.15, -0.7, -0.15, -0.2, -1, -0.3, -1, -0.1, -0.15, 0.2],
    closed: true,
  },
  // Light aircraft: a small straight-winged cross.
  light_aircraft: {
    pts: [0, 0.9, 0.12, 0.4, 0.9, 0.4, 0.9, 0.15, 0.12, 0.15, 0.12, -0.5, 0.4, -0.7, -0.4,
      -0.7, -0.12, -0.5, -0.12, 0.15, -0.9, 0.15, -0.9, 0.4, -0.12, 0.4],
    closed: true,
  },
  // Helicopter: a diamond.
  helicopter: { pts: [0, 1, 0.8, 0, 0, -1, -0.8, 0], closed: true },
  // Multicopter: a square.
  multicopter: { pts: [0.7, 0.7, 0.7, -0.7, -0.7, -0.7, -0.7, 0.7], closed: true },
  // Bird: a "v".
  bird: { pts: [-1, 0.4, -0.5, 0.7, 0, 0, 0.5, 0.7, 1, 0.4, 0, -0.4], closed: true },
};

export const CLASS_NAMES = [
  "shahed",
  "gerbera",
  "jet_shahed",
  "cruise_missile",
  "fighter",
  "bomber",
  "airliner",
  "light_aircraft",
  "helicopter",
  "multicopter",
  "bird",
  "unknown",
];

/** Add a track's symbol to the current path at (x, y) px, course in degrees. */
export function addSymbol(
  ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D,
  cls: string | null | undefined,
  x: number,
  y: number,
  courseDeg: number,
  size: number,
): void {
  const shape = cls ? SHAPES[cls] : undefined;
  if (!shape) {
    // Unknown class: a circle.
    ctx.moveTo(x + size * 0.7, y);
    ctx.arc(x, y, size * 0.7, 0, Math.PI * 2);
    return;
  }
  const rotates = cls !== "multicopter" && cls !== "helicopter" && cls !== "bird";
  const a = rotates ? (courseDeg * Math.PI) / 180 : 0;
  const c = Math.cos(a);
  const s = Math.sin(a);
  const p = shape.pts;
  for (let i = 0; i < p.length; i += 2) {
    // Rotate clockwise by the course (north-up), canvas y grows downwards.
    const ux = p[i] * size;
    const uy = p[i + 1] * size;
    const px = x + ux * c + uy * s;
    const py = y - (uy * c - ux * s);
    if (i === 0) ctx.moveTo(px, py);
    else ctx.lineTo(px, py);
  }
  if (shape.closed) ctx.closePath();
}

/** A small standalone canvas icon (legend, lists). */
export function symbolIcon(cls: string, identity: Identity, px = 18): HTMLCanvasElement {
  const cv = document.createElement("canvas");
  const dpr = window.devicePixelRatio || 1;
  cv.width = px * dpr;
  cv.height = px * dpr;
  cv.style.width = `${px}px`;
  cv.style.height = `${px}px`;
  const ctx = cv.getContext("2d");
  if (ctx) {
    ctx.scale(dpr, dpr);
    ctx.beginPath();
    addSymbol(ctx, cls, px / 2, px / 2, 0, px * 0.42);
    ctx.fillStyle = IDENTITY_COLOURS[identity];
    ctx.strokeStyle = "#111";
    ctx.lineWidth = 1;
    ctx.fill();
    ctx.stroke();
  }
  return cv;
}

// Pre-rendered symbols: a canvas full of small filled paths is slow to rasterise in
// software (no GPU); copying small ImageBitmaps is cheap (a canvas as the source is not:
// it is snapshotted at each use). Courses are rounded to 10 deg.
const SPRITE_PX = 32;
type Sprite = ImageBitmap | HTMLCanvasElement;
const sprites = new Map<string, Sprite>();

export function sprite(
  cls: string | null | undefined,
  identity: Identity,
  courseDeg: number,
  size: number,
  tentative: boolean,
): Sprite {
  const rot = cls && SHAPES[cls] ? (Math.round((courseDeg || 0) / 10) * 10) % 360 : 0;
  const key = `${cls}|${identity}|${rot}|${size}|${tentative ? 1 : 0}`;
  let sp = sprites.get(key);
  if (sp) return sp;
  const dpr = window.devicePixelRatio || 1;
  const px = Math.round(SPRITE_PX * dpr);
  const off = typeof OffscreenCanvas === "function" ? new OffscreenCanvas(px, px) : null;
  const cv = off ?? document.createElement("canvas");
  cv.width = px;
  cv.height = px;
  const ctx = cv.getContext("2d") as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  if (ctx) {
    ctx.scale(dpr, dpr);
    ctx.globalAlpha = tentative ? 0.55 : 1;
    ctx.beginPath();
    addSymbol(ctx, cls, SPRITE_PX / 2, SPRITE_PX / 2, rot, tentative ? size * 0.75 : size);
    ctx.fillStyle = IDENTITY_COLOURS[identity] ?? IDENTITY_COLOURS.pending;
    ctx.fill();
    ctx.lineWidth = 1.2;
    ctx.strokeStyle = "#05080c";
    ctx.stroke();
  }
  sp = off ? off.transferToImageBitmap() : (cv as HTMLCanvasElement);
  sprites.set(key, sp);
  return sp;
}

export const SPRITE_HALF = SPRITE_PX / 2;

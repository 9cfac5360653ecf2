// Small geodesy helpers for drawing: longitude wrapping near the antimeridian (the Alaska
// and Chukotka regions straddle it) and Web Mercator projection without allocations.

let lonRef = 0;

/** Longitudes are drawn within +-180 deg of this reference (the area of interest). */
export function setLonRef(lon: number): void {
  lonRef = Number.isFinite(lon) ? lon : 0;
}

export function getLonRef(): number {
  return lonRef;
}

export function wrapLon(lon: number): number {
  return lon + 360 * Math.round((lonRef - lon) / 360);
}

/** Copy of a GeoJSON Polygon/MultiPolygon geometry with each ring wrapped as a whole. */
export function wrapGeometry<T extends { type: string; coordinates: unknown }>(g: T): T {
  const wrapRing = (ring: number[][]): number[][] => {
    if (!ring.length) return ring;
    const shift = wrapLon(ring[0][0]) - ring[0][0];
    return shift === 0 ? ring : ring.map((p) => [p[0] + shift, p[1]]);
  };
  if (g.type === "Polygon") {
    return { ...g, coordinates: (g.coordinates as number[][][]).map(wrapRing) };
  }
  if (g.type === "MultiPolygon") {
    return {
      ...g,
      coordinates: (g.coordinates as number[][][][]).map((poly) => poly.map(wrapRing)),
    };
  }
  return g;
}

const MAX_LAT = 85.0511287798;
const D2R = Math.PI / 180;

/** Web Mercator x in [0, 1) of a (wrapped) longitude. */
export function mercX(lon: number): number {
  return 0.5 + wrapLon(lon) / 360;
}

/** Web Mercator y in [0, 1], north up. */
export function mercY(lat: number): number {
  const la = Math.max(-MAX_LAT, Math.min(MAX_LAT, lat));
  const s = Math.sin(la * D2R);
  return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
}

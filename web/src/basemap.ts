// The offline base map: no tiles. National airspace (land + territorial sea) polygons on a
// plain sea-coloured background, then ADIZ / restricted zones, protected assets and
// sensors with their coverage circles.

import L from "leaflet";
import { wrapGeometry, wrapLon } from "./geo";
import type { Asset, Sensor, Zone } from "./types";

const ZONE_STYLE: Record<string, L.PathOptions> = {
  adiz: { color: "#c77dff", weight: 2, dashArray: "8 6", fill: false },
  restricted: { color: "#ff5a5f", weight: 1.5, fillColor: "#ff5a5f", fillOpacity: 0.08 },
  custom: { color: "#36c5d8", weight: 1.5, fillColor: "#36c5d8", fillOpacity: 0.06 },
};

const SENSOR_COLOURS: Record<string, string> = {
  radar: "#4dd0e1",
  adsb: "#a5d6a7",
  acoustic: "#b39ddb",
  eo: "#f48fb1",
  sapient: "#ce93d8",
  other: "#b0bec5",
};

function feature(z: Zone): GeoJSON.Feature {
  return {
    type: "Feature",
    properties: { id: z.id, name: z.name, kind: z.kind, country: z.country },
    geometry: wrapGeometry(z.geometry) as GeoJSON.Geometry,
  };
}

export function zonesLayer(zones: Zone[], renderer: L.Renderer): L.GeoJSON {
  return L.geoJSON(
    { type: "FeatureCollection", features: zones.map(feature) } as GeoJSON.FeatureCollection,
    {
      style: (f) => ZONE_STYLE[(f?.properties?.kind as string) ?? "custom"] ?? ZONE_STYLE.custom,
      renderer,
      onEachFeature: (f, layer) => {
        const p = f.properties as { name: string; kind: string };
        layer.bindTooltip(`${p.name} (${p.kind})`, { sticky: true });
      },
    } as L.GeoJSONOptions,
  );
}

export function assetsLayer(assets: Asset[], renderer: L.Renderer): L.LayerGroup {
  const g = L.layerGroup();
  for (const a of assets) {
    const m = L.circleMarker([a.lat, wrapLon(a.lon)], {
      renderer,
      radius: 5,
      color: "#ffffff",
      weight: 2,
      fillColor: "#00bfa5",
      fillOpacity: 1,
    });
    m.bindTooltip(a.name, {
      permanent: true,
      direction: "right",
      className: "asset-label",
      offset: [6, 0],
    });
    g.addLayer(m);
  }
  return g;
}

export function sensorsLayer(sensors: Sensor[], renderer: L.Renderer): L.LayerGroup {
  const g = L.layerGroup();
  for (const s of sensors) {
    const ll: L.LatLngExpression = [s.position.lat, wrapLon(s.position.lon)];
    const colour = SENSOR_COLOURS[s.kind] ?? SENSOR_COLOURS.other;
    if (s.max_range_m) {
      g.addLayer(
        L.circle(ll, {
          renderer,
          radius: s.max_range_m,
          color: colour,
          weight: 1,
          opacity: 0.45,
          dashArray: "3 5",
          fill: false,
          interactive: false,
        }),
      );
    }
    const m = L.circleMarker(ll, {
      renderer,
      radius: 4,
      color: "#0b0f14",
      weight: 1,
      fillColor: colour,
      fillOpacity: 1,
    });
    const range = s.max_range_m ? `, ${Math.round(s.max_range_m / 1000)} km` : "";
    m.bindTooltip(`${s.name || s.id} (${s.kind}${range})`);
    g.addLayer(m);
  }
  return g;
}

/** Bounds of the area of interest: sensor coverage, assets and non-national zones. */
export function interestBounds(sensors: Sensor[], assets: Asset[], zones: Zone[]): L.LatLngBounds | null {
  const b = L.latLngBounds([]);
  for (const s of sensors) {
    const ll = L.latLng(s.position.lat, wrapLon(s.position.lon));
    if (s.max_range_m) b.extend(ll.toBounds(Math.min(s.max_range_m, 400e3) * 2));
    else b.extend(ll);
  }
  for (const a of assets) b.extend([a.lat, wrapLon(a.lon)]);
  for (const z of zones) {
    if (z.kind === "national_airspace") continue;
    const gb = L.geoJSON(wrapGeometry(z.geometry) as GeoJSON.Geometry).getBounds();
    if (gb.isValid()) b.extend(gb);
  }
  return b.isValid() ? b : null;
}

/** A reference longitude for wrapping: the mean of sensors, else assets, else zones. */
export function referenceLon(sensors: Sensor[], assets: Asset[], zones: Zone[]): number {
  // Circular mean, so points on both sides of the antimeridian average correctly.
  const lons: number[] = [];
  for (const s of sensors) lons.push(s.position.lon);
  if (!lons.length) for (const a of assets) lons.push(a.lon);
  if (!lons.length) {
    for (const z of zones) {
      if (z.kind === "national_airspace") continue;
      const c = z.geometry.coordinates as unknown;
      const first = (function dig(x: unknown): number | null {
        if (Array.isArray(x) && typeof x[0] === "number") return x[0] as number;
        if (Array.isArray(x) && x.length) return dig(x[0]);
        return null;
      })(c);
      if (first !== null) lons.push(first);
    }
  }
  if (!lons.length) return 20;
  let sx = 0;
  let sy = 0;
  for (const l of lons) {
    sx += Math.cos((l * Math.PI) / 180);
    sy += Math.sin((l * Math.PI) / 180);
  }
  return (Math.atan2(sy, sx) * 180) / Math.PI;
}

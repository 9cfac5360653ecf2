// The message shapes the web app reads (a subset of dronewall.model.messages).

export type Identity =
  | "pending"
  | "unknown"
  | "assumed_friend"
  | "friend"
  | "neutral"
  | "suspect"
  | "hostile";

export interface GeoPoint {
  lat: number;
  lon: number;
  alt?: number;
}

export interface TrackRow {
  id: string;
  lat: number;
  lon: number;
  alt: number;
  speed: number;
  course: number;
  vu: number;
  status: string;
  identity: Identity;
  class_label: string | null;
  n_sensors: number;
  time: number;
}

export interface Track {
  id: string;
  time: number;
  status: string;
  lat: number;
  lon: number;
  alt: number;
  ve: number;
  vn: number;
  vu: number;
  born: number;
  hits?: number;
  sensors?: string[];
  class_label?: string | null;
  class_probs?: Record<string, number> | null;
  identity?: Identity;
  transponder?: { icao24?: string; callsign?: string; squawk?: string } | null;
}

export interface Sensor {
  id: string;
  kind: string;
  position: GeoPoint;
  name?: string;
  max_range_m?: number | null;
  period_s?: number | null;
}

export interface Zone {
  id: string;
  name: string;
  kind: string;
  geometry: { type: "Polygon" | "MultiPolygon"; coordinates: unknown };
  country?: string | null;
  floor_m?: number | null;
  ceiling_m?: number | null;
}

export interface Asset {
  name: string;
  lat: number;
  lon: number;
  kind?: string;
  value?: number;
}

export interface EventMsg {
  id: string;
  time: number;
  kind: string;
  message: string;
  track_id?: string | null;
  zone_id?: string | null;
  country?: string | null;
  position?: GeoPoint | null;
  severity?: "info" | "warning" | "critical";
  details?: Record<string, unknown>;
}

export interface Recommendation {
  id: string;
  time: number;
  track_id: string;
  effector_id: string;
  effector_type: string;
  verdict: "allowed" | "needs_approval" | "forbidden";
  reason: string;
  rule?: string | null;
  status?: "pending" | "approved" | "rejected" | "expired" | "withdrawn";
  target_class?: string | null;
  identity?: Identity;
  threat_score?: number;
  pk?: number;
  cost_usd?: number;
  ec?: number;
  intercept?: GeoPoint | null;
  time_to_go_s?: number | null;
  window_s?: [number, number] | null;
  evidence?: Record<string, unknown>;
}

export interface Decision {
  id: string;
  time: number;
  action: "approve" | "reject" | "acknowledge";
  user: string;
  role: string;
  recommendation_id?: string | null;
  event_id?: string | null;
  reason?: string;
}

export interface RunInfo {
  scenario?: string | null;
  title?: string | null;
  start?: number | null;
  end?: number | null;
  time?: number | null;
  mode: "live" | "replay";
  speed?: number;
  paused?: boolean;
}

export interface Snapshot {
  type: "snapshot";
  time: number;
  track_fields: string[];
  tracks: unknown[][];
  events: EventMsg[];
  recommendations: Recommendation[];
  run: RunInfo;
  decisions?: Decision[];
}

export interface Delta {
  type: "delta";
  time: number;
  tracks?: unknown[][];
  removed?: string[];
  events?: EventMsg[];
  recommendations?: Recommendation[];
  decisions?: Decision[];
  run?: RunInfo;
}

export type Role = "viewer" | "operator" | "commander";

export const ROLE_RANK: Record<string, number> = { viewer: 0, operator: 1, commander: 2 };

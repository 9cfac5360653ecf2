// Tiny DOM helpers (no framework) and formatting.

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return e;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`missing element #${id}`);
  return e as T;
}

/** "HH:MM:SS" UTC of POSIX seconds. */
export function hms(t: number | null | undefined): string {
  if (t === null || t === undefined || !Number.isFinite(t)) return "--:--:--";
  return new Date(t * 1000).toISOString().slice(11, 19);
}

/** "YYYY-MM-DD HH:MM:SS" UTC. */
export function ymdhms(t: number | null | undefined): string {
  if (t === null || t === undefined || !Number.isFinite(t)) return "-";
  return new Date(t * 1000).toISOString().slice(0, 19).replace("T", " ");
}

export function fmt(x: unknown, digits = 0): string {
  return typeof x === "number" && Number.isFinite(x) ? x.toFixed(digits) : "-";
}

let toastTimer = 0;
export function toast(msg: string, bad = false): void {
  const t = byId("toast");
  t.textContent = msg;
  t.className = bad ? "show bad" : "show";
  clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => {
    t.className = "";
  }, 4000);
}

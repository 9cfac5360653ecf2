// The alerts panel: events newest first, severity colours, acknowledgement (operator+).

import type { Api } from "./api";
import { byId, el, hms, toast } from "./dom";
import type { Picture } from "./picture";
import type { EventMsg } from "./types";

const MAX_ROWS = 300;
const SEV_RANK: Record<string, number> = { info: 0, warning: 1, critical: 2 };

export class AlertsPanel {
  private list = byId("alerts-list");
  private filter = byId<HTMLSelectElement>("alerts-filter");
  private count = byId("alerts-count");
  private rows = new Map<string, HTMLElement>();

  constructor(
    private picture: Picture,
    private api: Api,
    private canAck: boolean,
    private select: (trackId: string) => void,
  ) {
    this.filter.addEventListener("change", () => this.renderAll());
  }

  private minSeverity(): number {
    return SEV_RANK[this.filter.value] ?? 0;
  }

  private row(e: EventMsg): HTMLElement {
    const sev = e.severity ?? "info";
    const ack = this.picture.acked.get(e.id);
    const btn = el("button", { class: "ack", "data-event": e.id }, ack ? "acked" : "Ack");
    if (ack) {
      btn.setAttribute("disabled", "");
      btn.title = `acknowledged by ${ack.user} (${ack.role}) at ${hms(ack.time)}`;
    } else if (!this.canAck) {
      btn.setAttribute("disabled", "");
      btn.title = "operator or commander only";
    } else if (this.picture.run.mode !== "live") {
      btn.setAttribute("disabled", "");
      btn.title = "a replay: alerts are acknowledged on live runs";
    }
    btn.addEventListener("click", async (ev) => {
      ev.stopPropagation();
      btn.setAttribute("disabled", "");
      try {
        await this.api.post(`/api/events/${encodeURIComponent(e.id)}/ack`, {});
        btn.textContent = "acked";
      } catch (err) {
        btn.removeAttribute("disabled");
        toast(`acknowledge failed: ${(err as Error).message}`, true);
      }
    });
    const r = el(
      "div",
      { class: `alert sev-${sev}${ack ? " acked" : ""}`, "data-event": e.id, "data-kind": e.kind },
      el("span", { class: "t" }, hms(e.time)),
      el("span", { class: "k" }, e.kind.replace(/_/g, " ")),
      el("span", { class: "m" }, e.message),
      btn,
    );
    if (e.track_id) {
      const tid = e.track_id;
      r.classList.add("clickable");
      r.addEventListener("click", () => this.select(tid));
    }
    return r;
  }

  renderAll(): void {
    this.list.replaceChildren();
    this.rows.clear();
    const min = this.minSeverity();
    const evs = this.picture.events.filter((e) => (SEV_RANK[e.severity ?? "info"] ?? 0) >= min);
    for (const e of evs.slice(-MAX_ROWS).reverse()) {
      const r = this.row(e);
      this.rows.set(e.id, r);
      this.list.append(r);
    }
    this.updateCount();
  }

  add(evs: EventMsg[]): void {
    const min = this.minSeverity();
    for (const e of evs) {
      if ((SEV_RANK[e.severity ?? "info"] ?? 0) < min) continue;
      const r = this.row(e);
      this.rows.set(e.id, r);
      this.list.prepend(r);
    }
    while (this.list.childElementCount > MAX_ROWS) {
      const last = this.list.lastElementChild as HTMLElement;
      this.rows.delete(last.dataset.event ?? "");
      last.remove();
    }
    this.updateCount();
  }

  markAcked(eventId: string): void {
    const r = this.rows.get(eventId);
    if (!r) return;
    const e = this.picture.events.find((x) => x.id === eventId);
    if (!e) return;
    const nr = this.row(e);
    r.replaceWith(nr);
    this.rows.set(eventId, nr);
    this.updateCount();
  }

  private updateCount(): void {
    let n = 0;
    for (const e of this.picture.events) {
      if ((SEV_RANK[e.severity ?? "info"] ?? 0) >= 1 && !this.picture.acked.has(e.id)) n++;
    }
    this.count.textContent = String(n);
    this.count.className = n ? "badge hot" : "badge";
  }
}

// The recommendations panel: proposed engagements with approve/reject for a commander.
// Other roles see the buttons disabled (the API would answer 403 anyway).

import type { Api } from "./api";
import { byId, el, fmt, hms, toast } from "./dom";
import type { Picture } from "./picture";
import { IDENTITY_COLOURS } from "./symbols";
import type { Recommendation } from "./types";

export class RecommendationsPanel {
  private list = byId("recs-list");
  private count = byId("recs-count");
  private reasons = new Map<string, string>();

  constructor(
    private picture: Picture,
    private api: Api,
    private isCommander: boolean,
    private select: (trackId: string) => void,
  ) {}

  private card(r: Recommendation): HTMLElement {
    const status = r.status ?? "pending";
    const open = status === "pending";
    const dec = this.picture.decided.get(r.id);
    const reason = el("input", {
      class: "reason",
      placeholder: "reason",
      value: this.reasons.get(r.id) ?? "",
    });
    reason.addEventListener("input", () => this.reasons.set(r.id, reason.value));
    const approve = el("button", { class: "approve", "data-rec": r.id }, "Approve");
    const reject = el("button", { class: "reject", "data-rec": r.id }, "Reject");
    for (const b of [approve, reject, reason]) {
      if (!this.isCommander) {
        b.setAttribute("disabled", "");
        b.title = "commander only";
      } else if (!open) {
        b.setAttribute("disabled", "");
        b.title = `already ${status}`;
      } else if (this.picture.run.mode !== "live") {
        b.setAttribute("disabled", "");
        b.title = "a replay: decisions are taken on live runs";
      }
    }
    if (r.verdict === "forbidden" && !approve.hasAttribute("disabled")) {
      approve.setAttribute("disabled", "");
      approve.title = "forbidden by the rules of engagement";
    }
    const decide = async (action: "approve" | "reject") => {
      approve.setAttribute("disabled", "");
      reject.setAttribute("disabled", "");
      try {
        await this.api.post(`/api/recommendations/${encodeURIComponent(r.id)}/decision`, {
          action,
          reason: reason.value,
        });
        toast(`${action === "approve" ? "approved" : "rejected"} ${r.id}`);
      } catch (err) {
        toast(`${action} failed: ${(err as Error).message}`, true);
        this.render();
      }
    };
    approve.addEventListener("click", () => decide("approve"));
    reject.addEventListener("click", () => decide("reject"));

    const idColour = IDENTITY_COLOURS[r.identity ?? "pending"] ?? "#999";
    const track = el("a", { href: "#", class: "track-link" }, r.track_id);
    track.addEventListener("click", (e) => {
      e.preventDefault();
      this.select(r.track_id);
    });
    const ttg = r.time_to_go_s !== null && r.time_to_go_s !== undefined ? `${fmt(r.time_to_go_s)} s` : "-";
    return el(
      "div",
      { class: `rec status-${status} verdict-${r.verdict}`, "data-rec": r.id },
      el(
        "div",
        { class: "rec-head" },
        el("span", { class: "chip", style: `background:${idColour}` }),
        track,
        el("span", {}, ` ${r.target_class ?? ""} → ${r.effector_type} ${r.effector_id}`),
        el("span", { class: `verdict v-${r.verdict}` }, r.verdict.replace("_", " ")),
      ),
      el(
        "div",
        { class: "rec-figs" },
        `threat ${fmt(r.threat_score, 2)} · Pk ${fmt(r.pk, 2)} · $${fmt(r.cost_usd)} · Ec ${
          typeof r.ec === "number" ? r.ec.toExponential(1) : "-"
        } · t-go ${ttg} · ${hms(r.time)}`,
      ),
      el("div", { class: "rec-reason" }, r.reason + (r.rule ? ` [${r.rule}]` : "")),
      el(
        "div",
        { class: "rec-actions" },
        reason,
        approve,
        reject,
        el(
          "span",
          { class: "rec-status" },
          dec ? `${status} by ${dec.user}${dec.reason ? `: ${dec.reason}` : ""}` : status,
        ),
      ),
    );
  }

  render(): void {
    const recs = [...this.picture.recommendations.values()];
    const rank = (r: Recommendation) => ((r.status ?? "pending") === "pending" ? 0 : 1);
    recs.sort((a, b) => rank(a) - rank(b) || b.time - a.time);
    this.list.replaceChildren(...recs.slice(0, 100).map((r) => this.card(r)));
    if (!recs.length) {
      this.list.append(el("div", { class: "empty" }, "no recommendations"));
    }
    const pending = recs.filter((r) => rank(r) === 0).length;
    this.count.textContent = String(pending);
    this.count.className = pending ? "badge hot" : "badge";
  }
}

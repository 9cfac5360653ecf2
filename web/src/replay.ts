// Replay controls for stored runs: a time slider, play/pause and speed (operator+).
// In live mode the controls are shown disabled.

import type { Api } from "./api";
import { byId, hms, toast } from "./dom";
import type { Picture } from "./picture";
import type { RunInfo } from "./types";

export class ReplayControls {
  private slider = byId<HTMLInputElement>("replay-slider");
  private play = byId<HTMLButtonElement>("replay-play");
  private speed = byId<HTMLSelectElement>("replay-speed");
  private label = byId("replay-time");
  private dragging = false;

  constructor(
    private picture: Picture,
    private api: Api,
    private canControl: boolean,
  ) {
    this.slider.addEventListener("input", () => {
      this.dragging = true;
      this.label.textContent = hms(Number(this.slider.value));
    });
    this.slider.addEventListener("change", () => {
      this.dragging = false;
      void this.send({ time: Number(this.slider.value) });
    });
    this.play.addEventListener("click", () => {
      void this.send({ paused: !this.picture.run.paused });
    });
    this.speed.addEventListener("change", () => {
      void this.send({ speed: Number(this.speed.value) });
    });
  }

  seek(t: number): void {
    const run = this.picture.run;
    const lo = run.start ?? t;
    const hi = run.end ?? t;
    if (this.enabled()) void this.send({ time: Math.min(Math.max(t, lo), hi) });
  }

  enabled(): boolean {
    return this.canControl && this.picture.run.mode === "replay";
  }

  private async send(body: { time?: number; speed?: number; paused?: boolean }): Promise<void> {
    try {
      const run = await this.api.post<RunInfo>("/api/replay", body);
      if (run && typeof run === "object" && "mode" in run) {
        this.picture.run = { ...this.picture.run, ...run };
      } else {
        Object.assign(this.picture.run, body);
      }
      this.update();
    } catch (err) {
      toast(`replay: ${(err as Error).message}`, true);
    }
  }

  update(): void {
    const run = this.picture.run;
    const on = this.enabled();
    for (const c of [this.slider, this.play, this.speed]) c.disabled = !on;
    const why =
      run.mode !== "replay" ? "live run: nothing to replay" : on ? "" : "operator or commander only";
    for (const c of [this.slider, this.play, this.speed]) c.title = why;
    const t0 = run.start ?? this.picture.time;
    const t1 = Math.max(run.end ?? this.picture.time, t0 + 1);
    this.slider.min = String(Math.floor(t0));
    this.slider.max = String(Math.ceil(t1));
    if (!this.dragging) {
      this.slider.value = String(this.picture.time);
      this.label.textContent = hms(this.picture.time);
    }
    this.play.textContent = run.paused ? "▶" : "❚❚";
    const sp = String(run.speed ?? 1);
    if (![...this.speed.options].some((o) => o.value === sp)) {
      this.speed.append(new Option(`${sp}×`, sp));
    }
    this.speed.value = sp;
  }
}

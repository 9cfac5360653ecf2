// Browser scenarios of the COP web app, run against a real dronewall server.
//
//   node tests/browser/cop.mjs --url http://127.0.0.1:PORT --scenarios demo,approve,viewer \
//        --commander TOKEN --viewer TOKEN --operator TOKEN --out ARTIFACT_DIR
//
// Prints one JSON object: {scenario name: result, ...}; a scenario that fails has
// {"error": "..."} (the pytest side asserts on the results).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { launch, openApp, parseArgs, quantile, round } from "./lib.mjs";

const args = parseArgs(process.argv.slice(2));
const base = String(args.url).replace(/\/$/, "");
const out = String(args.out || "tests/browser/artifacts/web");
const timeout = Number(args.timeout || 30000);
mkdirSync(out, { recursive: true });

const positions = (page) =>
  page.evaluate(() => {
    const o = {};
    for (const t of window.__dronewall.picture.tracks.values()) o[t.id] = [t.lat, t.lon, t.time];
    return o;
  });

async function shot(page, name) {
  const path = join(out, name);
  await page.screenshot({ path });
  return path;
}

const scenarios = {
  // The demo loads, tracks move, an alert appears.
  async demo(context) {
    const { page, errors, outside } = await openApp(context, base, args.commander, { timeout });
    const t0 = Date.now();
    const first = await positions(page);
    let moved = 0;
    let common = 0;
    let tracks = Object.keys(first).length;
    while (Date.now() - t0 < timeout) {
      await page.waitForTimeout(500);
      const now = await positions(page);
      tracks = Object.keys(now).length;
      moved = 0;
      common = 0;
      for (const [id, p] of Object.entries(now)) {
        const q = first[id];
        if (!q) continue;
        common++;
        if (q[0] !== p[0] || q[1] !== p[1]) moved++;
      }
      if (moved > 0) break;
      if (!common && tracks) Object.assign(first, now);
    }
    const moveSeconds = (Date.now() - t0) / 1000;
    await page
      .waitForSelector("#alerts-list .alert", { timeout })
      .catch(() => null);
    const alerts = await page.$$eval("#alerts-list .alert", (rs) =>
      rs.map((r) => ({ kind: r.dataset.kind, text: r.textContent })),
    );
    // Let the raid develop a little for the picture, then zoom to the tracks.
    await page.waitForTimeout(Number(args["raid-wait"] || 0) * 1000);
    await page.evaluate(() => {
      const h = window.__dronewall;
      const ts = [...h.picture.tracks.values()];
      if (ts.length) {
        const lats = ts.map((t) => t.lat);
        const lons = ts.map((t) => t.lon);
        const b = [
          [Math.min(...lats), Math.min(...lons)],
          [Math.max(...lats), Math.max(...lons)],
        ];
        h.map.fitBounds(b, { padding: [120, 120], maxZoom: 9, animate: false });
      }
    });
    await page.waitForTimeout(1200);
    const state = await page.evaluate(() => {
      const h = window.__dronewall;
      const ids = {};
      for (const t of h.picture.tracks.values()) ids[t.identity] = (ids[t.identity] || 0) + 1;
      return {
        role: h.role,
        mode: h.picture.run.mode,
        tracks: h.picture.tracks.size,
        identities: ids,
        events: h.picture.events.length,
        visible: h.layer.visible,
        timeline_bars: document.querySelector("#timeline") ? h.picture.events.filter((e) => e.kind === "incursion_start" || e.kind === "adiz_entry").length : 0,
        attribution: document.querySelector(".leaflet-control-attribution")?.textContent || "",
      };
    });
    // Inspect a track: click it on the map, read the inspector.
    const target = await page.evaluate(() => {
      const h = window.__dronewall;
      const ts = [...h.picture.tracks.values()].filter((t) => t.status === "confirmed");
      const t = ts.find((x) => x.identity === "hostile") || ts[0];
      if (!t) return null;
      const cp = h.map.latLngToContainerPoint([t.lat, t.lon]);
      const r = document.getElementById("map").getBoundingClientRect();
      return { id: t.id, x: r.left + cp.x, y: r.top + cp.y };
    });
    let inspector = null;
    if (target) {
      await page.mouse.click(target.x, target.y);
      inspector = await page
        .waitForFunction((id) => document.getElementById("insp-id")?.textContent === id, target.id, { timeout: 5000 })
        .then(() =>
          page.evaluate(() => ({
            id: document.getElementById("insp-id")?.textContent,
            text: document.getElementById("inspector").innerText,
            sensors: [...document.querySelectorAll("#inspector ul.sensors li[data-sensor]")].map((li) => li.textContent),
            evidence: document.querySelectorAll("#inspector ul.evidence li:not(.empty)").length,
          })),
        )
        .catch((e) => ({ error: String(e) }));
      inspector.clicked = target.id;
    }
    const screenshot = await shot(page, "raid.png");
    await page.close();
    return { ...state, inspector, moved, common, move_seconds: moveSeconds, alerts: alerts.length, alert_kinds: [...new Set(alerts.map((a) => a.kind))], screenshot, errors, outside };
  },

  // A commander approves a recommendation; the decision comes back on the stream.
  async approve(context) {
    const { page, errors, outside } = await openApp(context, base, args.commander, { timeout });
    // The panel is re-rendered as recommendations arrive: find the card once, then act
    // through locators keyed on its id (they re-resolve a card that was re-rendered;
    // typed reasons survive a re-render).
    const btn = await page.waitForSelector(".rec.status-pending button.approve:not([disabled])", { timeout });
    const recId = await btn.evaluate((b) => b.closest(".rec").dataset.rec);
    const card = page.locator(`.rec[data-rec="${recId}"]`);
    await card.locator("input.reason").fill("browser test: approved", { timeout });
    await card.locator("button.approve").click({ timeout });
    const ok = await page
      .waitForFunction(
        (id) => {
          const r = window.__dronewall.picture.recommendations.get(id);
          const d = window.__dronewall.picture.decided.get(id);
          const card = document.querySelector(`.rec[data-rec="${id}"]`);
          return r && r.status === "approved" && d && card && card.classList.contains("status-approved");
        },
        recId,
        { timeout },
      )
      .then(() => true)
      .catch(() => false);
    const decision = await page.evaluate((id) => window.__dronewall.picture.decided.get(id) || null, recId);
    await shot(page, "approved.png");
    await page.close();
    return { recommendation_id: recId, approved_in_ui: ok, decision, errors, outside };
  },

  // An operator acknowledges an alert; the acknowledgement comes back on the stream.
  async ack(context) {
    const { page, errors, outside } = await openApp(context, base, args.operator, { timeout });
    const btn = await page.waitForSelector("#alerts-list button.ack:not([disabled])", { timeout });
    const eventId = await btn.evaluate((b) => b.dataset.event);
    await btn.click();
    const ok = await page
      .waitForFunction(
        (id) => {
          const d = window.__dronewall.picture.acked.get(id);
          const row = document.querySelector(`#alerts-list .alert[data-event="${id}"]`);
          return d && row && row.classList.contains("acked");
        },
        eventId,
        { timeout },
      )
      .then(() => true)
      .catch(() => false);
    const decision = await page.evaluate((id) => window.__dronewall.picture.acked.get(id) || null, eventId);
    await page.close();
    return { event_id: eventId, acked_in_ui: ok, decision, errors, outside };
  },

  // A viewer sees the buttons disabled, and the API refuses the decision (403).
  async viewer(context) {
    const { page, errors, outside } = await openApp(context, base, args.viewer, { timeout });
    await page.waitForSelector(".rec[data-rec]", { timeout });
    const buttons = await page.$$eval(".rec button.approve, .rec button.reject", (bs) =>
      bs.map((b) => ({ rec: b.dataset.rec, disabled: b.disabled, title: b.title })),
    );
    const ackButtons = await page.$$eval("#alerts-list button.ack", (bs) => bs.map((b) => b.disabled));
    const recId = buttons[0]?.rec;
    const api = await page.evaluate(
      async ([id, token]) => {
        const r = await fetch(`/api/recommendations/${encodeURIComponent(id)}/decision`, {
          method: "POST",
          headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
          body: JSON.stringify({ action: "approve", reason: "viewer tries" }),
        });
        return { status: r.status, body: await r.text() };
      },
      [recId, args.viewer],
    );
    await shot(page, "viewer.png");
    await page.close();
    return { role: "viewer", buttons, ack_buttons_disabled: ackButtons, recommendation_id: recId, api, errors, outside };
  },

  // Frame times with many live tracks: rAF intervals over ~5 s while panning the map.
  async perf(context) {
    const minTracks = Number(args["min-tracks"] || 1000);
    const seconds = Number(args.seconds || 5);
    const { page, errors, outside } = await openApp(context, base, args.commander, { timeout });
    await page.waitForFunction((n) => window.__dronewall.picture.tracks.size >= n, minTracks, { timeout });
    await page.evaluate(() => {
      const h = window.__dronewall;
      const ts = [...h.picture.tracks.values()];
      const lats = ts.map((t) => t.lat);
      const lons = ts.map((t) => t.lon);
      h.map.fitBounds([[Math.min(...lats), Math.min(...lons)], [Math.max(...lats), Math.max(...lons)]], { animate: false });
      h.layer.drawMs.length = 0;
    });
    await page.waitForTimeout(1000);
    const pan = !args["no-pan"];
    const res = await page.evaluate(async ([secs, pan]) => {
      const h = window.__dronewall;
      const frames = [];
      const longTasks = [];
      const obs = new PerformanceObserver((l) => {
        for (const e of l.getEntries()) longTasks.push(e.duration);
      });
      try {
        obs.observe({ type: "longtask", buffered: false });
      } catch {}
      h.layer.drawMs.length = 0;
      const updates0 = h.picture.updates;
      const t0 = performance.now();
      let last = t0;
      let pans = 0;
      // Input responsiveness: time from a click on the map to the next frame.
      const clickLatency = [];
      await new Promise((resolve) => {
        const tick = (now) => {
          frames.push(now - last);
          last = now;
          const el = now - t0;
          if (pan && el > (pans + 1) * 700) {
            pans++;
            h.map.panBy([pans % 2 ? 120 : -120, 0], { animate: true, duration: 0.3 });
            const c0 = performance.now();
            const mapEl = document.getElementById("map");
            const r = mapEl.getBoundingClientRect();
            mapEl.dispatchEvent(new MouseEvent("click", { clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, bubbles: true }));
            requestAnimationFrame(() => clickLatency.push(performance.now() - c0));
          }
          if (el < secs * 1000) requestAnimationFrame(tick);
          else resolve();
        };
        requestAnimationFrame((now) => {
          last = now;
          requestAnimationFrame(tick);
        });
      });
      obs.disconnect();
      return {
        frames,
        longTasks,
        draws: [...h.layer.drawMs],
        updates: h.picture.updates - updates0,
        tracks: h.picture.tracks.size,
        visible: h.layer.visible,
        clickLatency,
        seconds: (performance.now() - t0) / 1000,
      };
    }, [seconds, pan]);
    await shot(page, "perf-1000.png");
    await page.close();
    const f = res.frames;
    return {
      tracks: res.tracks,
      visible: res.visible,
      panning: pan,
      seconds: round(res.seconds),
      stream_updates: res.updates,
      frames: f.length,
      frame_ms_median: round(quantile(f, 0.5)),
      frame_ms_p95: round(quantile(f, 0.95)),
      frame_ms_max: round(Math.max(...f)),
      long_tasks: res.longTasks.length,
      long_task_ms_total: round(res.longTasks.reduce((a, b) => a + b, 0)),
      long_task_ms_max: round(res.longTasks.length ? Math.max(...res.longTasks) : 0),
      draw_ms_median: round(quantile(res.draws, 0.5)),
      draw_ms_p95: round(quantile(res.draws, 0.95)),
      draws: res.draws.length,
      click_to_frame_ms_max: round(res.clickLatency.length ? Math.max(...res.clickLatency) : null),
      errors,
      outside,
    };
  },

  // Replay of a stored run: the slider seeks, the speed changes, the picture follows.
  async replay(context) {
    const token = args.operator || args.commander;
    const { page, errors, outside } = await openApp(context, base, token, { timeout });
    const before = await page.evaluate(() => {
      const h = window.__dronewall;
      const s = document.getElementById("replay-slider");
      return { mode: h.picture.run.mode, time: h.picture.time, min: Number(s.min), max: Number(s.max), disabled: s.disabled, badge: document.getElementById("mode").textContent };
    });
    const target = Math.round(before.min + (before.max - before.min) * Number(args["seek-fraction"] || 0.6));
    await page.selectOption("#replay-speed", "10");
    await page.evaluate((t) => {
      const s = document.getElementById("replay-slider");
      s.value = String(t);
      s.dispatchEvent(new Event("input"));
      s.dispatchEvent(new Event("change"));
    }, target);
    const followed = await page
      .waitForFunction((t) => Math.abs(window.__dronewall.picture.time - t) < 120 && window.__dronewall.picture.tracks.size > 0, target, { timeout })
      .then(() => true)
      .catch(() => false);
    await page.waitForTimeout(1500);
    await page.evaluate(() => {
      const h = window.__dronewall;
      const ts = [...h.picture.tracks.values()];
      if (ts.length) {
        const lats = ts.map((t) => t.lat);
        const lons = ts.map((t) => t.lon);
        h.map.fitBounds([[Math.min(...lats), Math.min(...lons)], [Math.max(...lats), Math.max(...lons)]], { padding: [120, 120], maxZoom: 9, animate: false });
      }
    });
    await page.waitForTimeout(800);
    const after = await page.evaluate(() => {
      const h = window.__dronewall;
      return { time: h.picture.time, speed: h.picture.run.speed, tracks: h.picture.tracks.size, events: h.picture.events.length, badge: document.getElementById("mode").textContent };
    });
    const screenshot = await shot(page, "replay.png");
    await page.close();
    return { before, target, followed, after, screenshot, errors, outside };
  },
};

const names = String(args.scenarios || "demo").split(",");
const result = {};
const { context, close } = await launch();
try {
  for (const name of names) {
    const fn = scenarios[name];
    if (!fn) {
      result[name] = { error: `unknown scenario ${name}` };
      continue;
    }
    const t0 = Date.now();
    try {
      result[name] = await fn(context);
    } catch (err) {
      result[name] = { error: String(err && err.stack ? err.stack : err) };
    }
    result[name].wall_s = (Date.now() - t0) / 1000;
  }
} finally {
  await close();
}
process.stdout.write(JSON.stringify(result) + "\n");

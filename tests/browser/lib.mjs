// Shared helpers of the browser tests: launch Debian's Chromium through playwright-core
// (no Playwright browser download), open the COP page, collect console errors and any
// request that leaves the server (the app must make none).
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const require = createRequire(new URL("../../web/package.json", import.meta.url));
const { chromium } = require("playwright-core");

export const CHROMIUM = process.env.DRONEWALL_CHROMIUM || "/usr/bin/chromium";

export function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("--")) {
      const key = a.slice(2);
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) out[key] = true;
      else {
        out[key] = next;
        i++;
      }
    }
  }
  return out;
}

export async function launch() {
  const userDataDir = mkdtempSync(join(tmpdir(), "dronewall-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1440, height: 860 },
    deviceScaleFactor: 1,
  });
  const close = async () => {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  };
  return { context, close };
}

/** Open the app with a token; resolves once the first snapshot has been applied. */
export async function openApp(context, base, token, { timeout = 20000 } = {}) {
  const page = await context.newPage();
  const errors = [];
  const outside = [];
  const origin = new URL(base).origin;
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("request", (r) => {
    const u = r.url();
    if (u.startsWith("data:") || u.startsWith("blob:")) return;
    const o = new URL(u).origin;
    if (o !== origin && o !== origin.replace("http", "ws")) outside.push(u);
  });
  await page.goto(`${base}/?token=${encodeURIComponent(token)}`, { waitUntil: "load" });
  try {
    await page.waitForFunction(
      () => window.__dronewall && window.__dronewall.ready && window.__dronewall.picture.updates > 0,
      null,
      { timeout },
    );
  } catch (err) {
    const state = await page
      .evaluate(() => {
        const h = window.__dronewall;
        return h && { ready: h.ready, connected: h.connected, messages: h.messages, updates: h.picture.updates, error: h.error };
      })
      .catch(() => null);
    throw new Error(`the app did not load in ${timeout} ms: ${JSON.stringify(state)}; errors: ${errors.join(" | ")}`);
  }
  return { page, errors, outside };
}

export function quantile(xs, q) {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[i];
}

export function round(x, d = 2) {
  return x === null || x === undefined ? null : Math.round(x * 10 ** d) / 10 ** d;
}

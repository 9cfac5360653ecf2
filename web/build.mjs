// Build the COP web app into src/dronewall/web/static/ (committed, so the Python package
// serves it with no npm step). `node build.mjs --check` builds into a temporary folder
// and fails if the committed bundle differs from a fresh build.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const target = resolve(here, "../src/dronewall/web/static");
const check = process.argv.includes("--check");
const out = check ? mkdtempSync(join(tmpdir(), "dronewall-web-")) : target;
mkdirSync(out, { recursive: true });

await build({
  entryPoints: { app: join(here, "src/main.ts") },
  outdir: out,
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  loader: { ".png": "dataurl", ".svg": "dataurl" },
  legalComments: "eof",
  charset: "utf8",
  logLevel: "warning",
});
copyFileSync(join(here, "src/index.html"), join(out, "index.html"));

// Third-party licences of everything in the bundle.
const thirdParty = [
  ["leaflet", "node_modules/leaflet/LICENSE", "Leaflet 1.9.4 (map library), BSD-2-Clause"],
];
let text =
  "Third-party software in this web app bundle (app.js, app.css)\n" +
  "==============================================================\n\n" +
  "The map data the app draws (national borders and territorial sea) is not in this\n" +
  "bundle: the dronewall server serves it from dronewall/data/borders.geojson,\n" +
  "(c) OpenStreetMap contributors, ODbL 1.0 (see dronewall/data/ATTRIBUTION.md).\n\n";
for (const [name, file, what] of thirdParty) {
  text += `----------------------------------------------------------------------\n${name}: ${what}\n\n`;
  text += readFileSync(join(here, file), "utf8").trim() + "\n\n";
}
writeFileSync(join(out, "THIRD_PARTY_LICENSES.txt"), text);

const files = readdirSync(out).sort();
let total = 0;
for (const f of files) total += readFileSync(join(out, f)).length;
console.log(`built ${files.join(", ")} (${(total / 1024).toFixed(0)} KiB) in ${out}`);

if (check) {
  const bad = [];
  const committed = new Set(readdirSync(target).filter((f) => !f.startsWith(".")));
  for (const f of files) {
    let same = false;
    try {
      same = readFileSync(join(out, f)).equals(readFileSync(join(target, f)));
    } catch {
      same = false;
    }
    if (!same) bad.push(f);
    committed.delete(f);
  }
  for (const f of committed) bad.push(`${f} (not built any more)`);
  rmSync(out, { recursive: true, force: true });
  if (bad.length) {
    console.error(`committed bundle differs from a fresh build: ${bad.join(", ")}; run \`npm run build\` in web/`);
    process.exit(1);
  }
  console.log("committed bundle matches a fresh build");
}

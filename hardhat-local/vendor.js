// Front-end files the portal serves, copied from the npm packages package.json pins into
// portal/static/vendor/ (committed, so the portal needs no node_modules and no build step).
// With --check, exits 1 when a committed copy differs from the pinned package's file.
"use strict";
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const OUT = path.join(ROOT, "portal", "static", "vendor");
const PINNED = require("./package.json").dependencies;
const FILES = [{ package: "echarts", file: "dist/echarts.min.js" }];

let stale = 0;
for (const { package: name, file } of FILES) {
  const installed = require(`${name}/package.json`).version;
  if (installed !== PINNED[name]) {
    console.error(`${name} ${installed} is installed but package.json pins ${PINNED[name]}: run npm ci`);
    process.exit(1);
  }
  const source = fs.readFileSync(require.resolve(`${name}/${file}`));
  const target = path.join(OUT, path.basename(file));
  if (process.argv.includes("--check")) {
    if (!fs.existsSync(target) || !source.equals(fs.readFileSync(target))) {
      console.error(`${path.relative(ROOT, target)} differs from ${name} ${installed}: run node vendor.js`);
      stale += 1;
    }
  } else {
    fs.mkdirSync(OUT, { recursive: true });
    fs.writeFileSync(target, source);
    console.log(`${path.relative(ROOT, target)} ← ${name} ${installed}`);
  }
}
process.exit(stale ? 1 : 0);

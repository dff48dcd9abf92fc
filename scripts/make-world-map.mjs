// Makes Immutable.Web/Components/Shared/Charts/world-110m.tsv, the dashboard's world map: one line per country,
// "ISO alpha-2 <TAB> SVG path" in a 960 x 470 Equal Earth projection (Antarctica left out). Run once when the map
// should change (the output is committed; the app never fetches anything):
//   mkdir /tmp/map && cd /tmp/map && npm install world-atlas@2.0.2 topojson-client@3.1.0 d3-geo@3.1.2 i18n-iso-countries@7.14.0
//   NODE_PATH=/tmp/map/node_modules node scripts/make-world-map.mjs > Immutable.Web/Components/Shared/Charts/world-110m.tsv
// Shapes: Natural Earth 1:110m (public domain) through world-atlas (ISC); numeric → alpha-2 codes: i18n-iso-countries (MIT).
import { createRequire } from "node:module";
const require = createRequire(process.env.NODE_PATH + "/");
const world = require("world-atlas/countries-110m.json");
const { feature } = require("topojson-client");
const { geoEqualEarth, geoPath } = require("d3-geo");
const countries = require("i18n-iso-countries");

const shapes = feature(world, world.objects.countries).features;
const projection = geoEqualEarth().fitExtent([[4, 4], [956, 466]], { type: "FeatureCollection", features: shapes.filter(f => f.id !== "010") });
const path = geoPath(projection).digits(1);
// Shapes without an ISO number in Natural Earth: Kosovo has a user-assigned code in common use; the others are
// drawn as part of no country (unknown origin can never land on them).
const byName = { "Kosovo": "XK" };
const out = new Map();
for (const f of shapes) {
  if (f.id === "010") continue; // Antarctica: no events come from there, and it takes a fifth of the height
  const code = f.id !== undefined ? countries.numericToAlpha2(f.id) : byName[f.properties.name];
  if (!code) { process.stderr.write(`skipped: ${f.properties.name}\n`); continue; }
  const d = path(f);
  if (!d) continue;
  out.set(code, (out.get(code) ?? "") + d);
}
for (const [code, d] of [...out].sort()) process.stdout.write(`${code}\t${d}\n`);

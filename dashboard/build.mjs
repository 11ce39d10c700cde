// Builds the dashboard into clients/python/solgrid/api/static/ (git-ignored; `solgrid api run` serves it
// at /): index.html, app.js (src/main.js and its imports, lightweight-charts included, bundled and
// minified by esbuild), app.css, and Swagger UI's assets in swagger/ for the API's /docs page.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "clients", "python", "solgrid", "api", "static");
const swagger = join(here, "node_modules", "swagger-ui-dist");
const SWAGGER_FILES = ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"];

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "swagger"), { recursive: true });

await build({
  entryPoints: [join(here, "src", "main.js")],
  outfile: join(out, "app.js"),
  bundle: true,
  format: "esm",
  target: "es2020",
  minify: true,
  sourcemap: true,
  legalComments: "linked",
  logLevel: "warning",
});
await build({
  entryPoints: [join(here, "src", "app.css")],
  outfile: join(out, "app.css"),
  bundle: true,
  minify: true,
  logLevel: "warning",
});
copyFileSync(join(here, "src", "index.html"), join(out, "index.html"));
for (const name of SWAGGER_FILES) {
  copyFileSync(join(swagger, name), join(out, "swagger", name));
}
console.log(`dashboard built into ${out}`);

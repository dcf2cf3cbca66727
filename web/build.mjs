// Builds the web page into web/dist: the bundled script (esbuild), the capture worklet, the HTML and CSS.
// Run by `npm run build` (and so by `npm run setup`); the server serves web/dist at `/`.
import { copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const webDir = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(webDir, "dist");
mkdirSync(outDir, { recursive: true });
await build({
  entryPoints: {
    app: path.join(webDir, "src", "main.ts"),
    "capture-worklet": path.join(webDir, "src", "capture-worklet.ts"),
  },
  outdir: outDir,
  bundle: true,
  format: "esm",
  target: "es2022",
  sourcemap: true,
  minify: true,
  logLevel: "warning",
});
copyFileSync(path.join(webDir, "index.html"), path.join(outDir, "index.html"));
copyFileSync(path.join(webDir, "app.css"), path.join(outDir, "app.css"));

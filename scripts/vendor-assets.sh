#!/usr/bin/env bash
# Install the front-end packages from the npm registry (pinned in assets/package-lock.json)
# and copy the files Inward serves into src/inward/static/vendor/. Never a CDN.
set -euo pipefail
cd "$(dirname "$0")/.."
(cd assets && npm ci --no-audit --no-fund --loglevel=error)
dest=src/inward/static/vendor
rm -rf "$dest" && mkdir -p "$dest"/{bootstrap,htmx,axe,echarts,dejavu}
cp assets/node_modules/bootstrap/dist/css/bootstrap.min.css "$dest/bootstrap/"
cp assets/node_modules/bootstrap/dist/js/bootstrap.bundle.min.js "$dest/bootstrap/"
cp assets/node_modules/htmx.org/dist/htmx.min.js "$dest/htmx/"
cp assets/node_modules/axe-core/axe.min.js "$dest/axe/"
# ECharts (Apache-2.0): the charts on the analytics pages; its NOTICE travels with it.
cp assets/node_modules/echarts/dist/echarts.min.js assets/node_modules/echarts/NOTICE "$dest/echarts/"
# DejaVu Sans (free Bitstream Vera licence): the font of the PDF report, read by fpdf2 on
# the server (no page links to it); its LICENSE travels with it.
dejavu=assets/node_modules/dejavu-fonts-ttf
cp "$dejavu/ttf/DejaVuSans.ttf" "$dejavu/ttf/DejaVuSans-Bold.ttf" "$dejavu/LICENSE" "$dest/dejavu/"
touch "$dest/.stamp"

#!/usr/bin/env bash
# Next-fire rate of ap's cron engine beside croner's (npm), on the same
# expressions (bench/expressions.txt), in the same run. Installs croner into
# a temporary directory with npm. Prints both rates and the ratio.
# usage: bench/croner/compare.sh [BUILD_DIR] [N_AP] [N_CRONER]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build-bench}
n_ap=${2:-200000}
n_croner=${3:-20000}
compare=$build/bench/cron_compare
[ -x "$compare" ] || { echo "build $compare first: BUILD_DIR=$build ./scripts/build.sh -DAP_BUILD_BENCH=ON -DCMAKE_BUILD_TYPE=Release" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm init -y >/dev/null && npm install --silent croner@9 >/dev/null)
cp "$here/next_fire.mjs" "$work/"
version=$(node -p "require('$work/node_modules/croner/package.json').version")

ap_line=$("$compare" "$n_ap")
croner_line=$(cd "$work" && node next_fire.mjs "$here/../expressions.txt" "$n_croner" 2>&1 | tail -1)
echo "$ap_line"
echo "$croner_line (croner $version, node $(node --version))"
ap_rate=$(sed -E 's/.*next_fire_per_sec=([0-9]+).*/\1/' <<<"$ap_line")
croner_rate=$(sed -E 's/.*next_fire_per_sec=([0-9]+).*/\1/' <<<"$croner_line")
awk -v a="$ap_rate" -v c="$croner_rate" 'BEGIN { printf "ratio ap/croner = %.1fx\n", a / c }'
echo "(the checksums agree when n_ap equals n_croner: both engines computed the same fires)"

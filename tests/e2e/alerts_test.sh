#!/usr/bin/env bash
# docs/alerts.yaml: valid rules (promtool check rules), raising the alerts
# docs/alerts_test.yaml expects on series shaped as ap exports them
# (promtool test rules), and naming only metrics ap really exports.
# usage: alerts_test.sh SOURCE_DIR
set -euo pipefail
src=$1
promtool check rules "$src/docs/alerts.yaml"
(cd "$src/docs" && promtool test rules alerts_test.yaml)
exported=$(grep -ho 'Name("ap_[a-z_]*")' "$src"/aggregator/http/metrics.cc \
             "$src"/operator/metrics.cc | sed 's/Name("\(.*\)")/\1/' | sort -u)
status=0
for name in $(grep -o 'ap_[a-z_]*' "$src/docs/alerts.yaml" | sort -u); do
  base=${name%_bucket}
  if ! grep -qx "$base" <<<"$exported"; then
    echo "alerts.yaml names $name, which ap does not export" >&2
    status=1
  fi
done
[ $status = 0 ] && echo "alerts: every metric named is exported"
exit $status

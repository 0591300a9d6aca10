#!/usr/bin/env bash
# Makes the base images the Dockerfiles start FROM, debian:bookworm and
# debian:bookworm-slim, when docker does not have them, without a registry
# (where one is reachable, `docker pull debian:bookworm-slim` does the same):
# a minimal Debian bookworm root file system (debootstrap --variant=minbase,
# from this machine's Debian mirror) with this machine's apt sources,
# imported as both tags. Needs root, debootstrap and a running docker engine.
# usage: scripts/docker-base.sh [--force]
set -euo pipefail

have() { docker image inspect "$1" >/dev/null 2>&1; }

if [ "${1:-}" != "--force" ] && have debian:bookworm && have debian:bookworm-slim; then
  echo "docker-base: debian:bookworm and debian:bookworm-slim are present"
  exit 0
fi

# The mirror this machine's apt uses (deb822 or one-line sources).
mirror=$(grep -hoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' \
  /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
  head -1 | awk '{print $2}' || true)
mirror=${mirror:-http://deb.debian.org/debian}

root=$(mktemp -d /tmp/ap-docker-base.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "docker-base: debootstrap bookworm from $mirror (a few minutes)"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 || {
  tail -20 "$root.log" >&2
  echo "docker-base: debootstrap failed (log above)" >&2
  exit 1
}
rm -f "$root.log"
# The image's apt reads what this machine's apt reads.
rm -f "$root/etc/apt/sources.list"
mkdir -p "$root/etc/apt/sources.list.d" "$root/etc/apt/apt.conf.d"
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
         /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] && cp "$f" "$root${f}"
done
for f in /etc/apt/apt.conf.d/*; do
  case "$(basename "$f")" in
    99*|*proxy*|*Proxy*) cp "$f" "$root/etc/apt/apt.conf.d/" ;;
  esac
done
# As in Debian's official images: apt keeps no downloaded packages or
# caches in a layer.
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'CONF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CONF
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin \
  "$root"/var/lib/apt/lists/*
import() {
  tar -C "$root" -c . | docker import \
    -c 'CMD ["bash"]' -c 'ENV LANG=C.UTF-8' - "$1" >/dev/null
}
import debian:bookworm
# The slim variant, as Debian's: no documentation, manuals or translations,
# now or from packages installed later.
mkdir -p "$root/etc/dpkg/dpkg.cfg.d"
cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'CONF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
CONF
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d \
  -delete 2>/dev/null || true
rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* \
  "$root"/usr/share/locale/* "$root"/usr/share/lintian/*
import debian:bookworm-slim
echo "docker-base: made debian:bookworm and debian:bookworm-slim"

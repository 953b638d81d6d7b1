#!/usr/bin/env bash
# Prints the bin directory of the newest release of a Node.js major line, e.g. `scripts/node-line.sh 24`,
# so that `PATH="$(scripts/node-line.sh 24):$PATH" npm test` runs the suite on it.
#
# The binary comes from the npm registry's node-linux-<arch> package (Node's own release build,
# repackaged; no install script), fetched with `npm pack`, which checks it against the registry's
# integrity hash. Nothing is downloaded from anywhere else, and the project's package.json and
# lockfile are not touched. Releases are kept in a cache outside the repo
# ($NODE_LINE_CACHE, else ~/.cache/tributary/node/<version>), so a second call only asks the
# registry which release is newest; without the registry, the newest cached release of the line is used.
# Progress goes to stderr; stdout has only the directory.
set -euo pipefail

line=${1:-}
if ! [[ $line =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/node-line.sh MAJOR   (e.g. 24)" >&2
  exit 2
fi
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "node-line: no npm package of Node.js for $(uname -m)" >&2; exit 1 ;;
esac
pkg="node-linux-$arch"
cache=${NODE_LINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tributary/node}
mkdir -p "$cache"

# `npm view pkg@24 version --json` answers one string, or an array when several releases match;
# the highest is taken by version order, not by the order the registry lists them in.
newest=$(npm view "$pkg@$line" version --json 2>/dev/null \
  | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const v = [JSON.parse(s)].flat().filter((x) => /^\d+\.\d+\.\d+$/.test(x));
      const key = (x) => x.split(".").map(Number);
      v.sort((a, b) => { const [p, q] = [key(a), key(b)]; return p[0] - q[0] || p[1] - q[1] || p[2] - q[2]; });
      if (v.length) console.log(v[v.length - 1]);
    })' || true)
if [ -z "$newest" ]; then
  newest=$(for d in "$cache/$line".*.*/; do if [ -x "$d/bin/node" ]; then basename "$d"; fi; done | sort -V | tail -n 1)
  if [ -z "$newest" ]; then
    echo "node-line: the registry did not answer for $pkg@$line and no release of Node.js $line is cached" >&2
    exit 1
  fi
  echo "node-line: the registry did not answer; using the cached Node.js $newest" >&2
fi

dir="$cache/$newest"
if ! [ -x "$dir/bin/node" ]; then
  echo "node-line: fetching $pkg@$newest from the npm registry" >&2
  tmp=$(mktemp -d "$cache/.fetch-XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack "$pkg@$newest" --silent >/dev/null)
  mkdir "$tmp/x"
  tar -xzf "$tmp/$pkg-$newest.tgz" -C "$tmp/x" --strip-components=1 package/bin/node
  rm -rf "$dir"
  mv "$tmp/x" "$dir" # whole or not at all: a run stopped half-way leaves no directory behind
fi
got=$("$dir/bin/node" --version)
if [ "$got" != "v$newest" ]; then
  echo "node-line: $dir/bin/node says $got, expected v$newest" >&2
  exit 1
fi
echo "$dir/bin"

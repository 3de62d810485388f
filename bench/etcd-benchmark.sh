#!/usr/bin/env bash
# Builds etcd's own load generator, `benchmark` (tools/benchmark of etcd
# 3.4.23, from Debian's etcd source package), so that bench/vs-etcd.sh can
# drive Concord and etcd with the tool etcd's maintainers use.
#
# Usage: bench/etcd-benchmark.sh [DIR]     (default: .build-etcd-benchmark)
# Prints the path of the binary (DIR/benchmark); does nothing more when it
# is already there. Needs root (apt-get) and the Debian archive: it adds the
# archive's source entries when none are configured, installs Go and the Go
# libraries Debian packages for etcd, downloads etcd's source and builds
# tools/benchmark against those libraries (GOPATH mode, no network).
set -euo pipefail
out=$(realpath -m "${1:-.build-etcd-benchmark}")
if [[ -x $out/benchmark ]]; then echo "$out/benchmark"; exit 0; fi
export DEBIAN_FRONTEND=noninteractive

if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list 2>/dev/null; then
    if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
        sed -e 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
            >/etc/apt/sources.list.d/concord-etcd-source.sources
    else
        sed -n 's/^deb /deb-src /p' /etc/apt/sources.list >/etc/apt/sources.list.d/concord-etcd-source.list
    fi
fi
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends golang-go golang-etcd-server-dev dpkg-dev >/dev/null

mkdir -p "$out/source"
cd "$out/source"
version=3.4.23
[[ -f etcd_$version.orig.tar.gz ]] || apt-get source --download-only "etcd=$version*" >/dev/null 2>&1 ||
    apt-get source --download-only etcd >/dev/null
[[ -d etcd-$version ]] || tar xzf "etcd_$version.orig.tar.gz"

# etcd 3.4 imports itself as go.etcd.io/etcd; Debian's golang-etcd-server-dev
# puts that tree (and etcd's dependencies) under /usr/share/gocode, so only
# the tool's own package is placed in a private GOPATH in front of it.
gopath="$out/gopath"
tool="$gopath/src/go.etcd.io/etcd/tools/benchmark"
rm -rf "$tool"
mkdir -p "$(dirname "$tool")"
cp -r "etcd-$version/tools/benchmark" "$tool"
cd "$tool"
GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOFLAGS= go build -o "$out/benchmark" .
echo "$out/benchmark"

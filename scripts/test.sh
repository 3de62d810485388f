#!/usr/bin/env bash
# The whole test suite, on a fresh Debian machine or a warm one: installs the
# Debian packages the tests need (only those missing), builds, runs every test
# once, then gives each fuzz target a short smoke run (docs/fuzzing.md).
#
#   scripts/test.sh              everything
#   scripts/test.sh --no-fuzz    the Swift test suite only
set -euo pipefail
cd "$(dirname "$0")/.."

fuzz=1
for argument in "$@"; do
    case "$argument" in
        --no-fuzz) fuzz=0 ;;
        *) echo "usage: scripts/test.sh [--no-fuzz]" >&2; exit 2 ;;
    esac
done

# libsqlite3-dev, zlib1g-dev: link-time libraries of the package's dependencies.
# libcrypt-dev: libxcrypt's bcrypt, which hashes the auth store's passwords.
# etcd-client, etcd-server: etcdctl and etcd, the acceptance tests' reference.
# chromium: renders the space-time diagrams in their test. openssl: TLS test certificates.
# redis-tools, python3-redis: redis-cli, redis-benchmark and redis-py, the Redis face's acceptance tests.
# python3-kazoo: the ZooKeeper client whose bytes the jute codec is checked against, and
# the ZooKeeper face's acceptance tests. zookeeper: zkCli for those tests (and ZooKeeper 3.8
# itself for bench/kazoo-on-zookeeper.sh and bench/vs-zookeeper.sh).
packages=(libsqlite3-dev zlib1g-dev libcrypt-dev etcd-client etcd-server chromium openssl redis-tools python3-redis python3-kazoo zookeeper)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=()
    [ "$(id -u)" -ne 0 ] && sudo=(sudo)
    echo "== installing ${missing[*]}"
    "${sudo[@]}" apt-get update
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi

swift build --build-tests
swift test --skip-build --disable-xctest --no-parallel

if [ "$fuzz" -eq 1 ]; then
    # Its own package and build folder: the build above never compiles it.
    Fuzz/fuzz.sh smoke 5
fi

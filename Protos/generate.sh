#!/usr/bin/env bash
# Regenerates Sources/ConcordEtcdAPI from the .proto files in this folder.
# Needs protoc (Debian: protobuf-compiler). Builds the two Swift plugins
# from the package's own dependencies first. See docs/protos.md.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product protoc-gen-swift
swift build --product protoc-gen-grpc-swift-2
bin="$(swift build --show-bin-path)"
out=Sources/ConcordEtcdAPI
rm -f "$out"/*.pb.swift "$out"/*.grpc.swift
protoc -I Protos \
  --plugin=protoc-gen-swift="$bin/protoc-gen-swift" \
  --plugin=protoc-gen-grpc-swift-2="$bin/protoc-gen-grpc-swift-2" \
  --swift_out="$out" \
  --swift_opt=Visibility=Public --swift_opt=FileNaming=PathToUnderscores \
  --grpc-swift-2_out="$out" \
  --grpc-swift-2_opt=Visibility=Public --grpc-swift-2_opt=FileNaming=PathToUnderscores \
  mvccpb/kv.proto authpb/auth.proto etcdserverpb/rpc.proto \
  v3lockpb/v3lock.proto v3electionpb/v3election.proto
echo "generated into $out"

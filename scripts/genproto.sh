#!/usr/bin/env bash
# Regenerates the Go code of package protocol (protocol/*.pb.go) from
# protocol/proto/*.proto, and of the example service rpc/echopb (echo.pb.go
# and, from its `service`, echo_actr.pb.go). Run it from anywhere:
#
#     scripts/genproto.sh        # or: go generate ./protocol
#
# The generated files are committed; run this after editing a .proto and commit
# both. The output is deterministic for given tool versions.
#
# How the tools are obtained:
#
#   protoc         Debian's `protobuf-compiler` package (libprotoc 3.21.12 on
#                  Debian 12). If `protoc` is not on PATH the script runs
#                  `apt-get install -y protobuf-compiler` (through sudo when not
#                  root), after an `apt-get update` if the first try fails. The
#                  well-known types (google/protobuf/timestamp.proto) ship with
#                  it under /usr/include. Another protoc works too; only the
#                  version comment at the top of each .pb.go changes.
#
#   protoc-gen-go  built by `go install
#                  google.golang.org/protobuf/cmd/protoc-gen-go@$VERSION` into a
#                  temporary GOBIN that is removed afterwards, where $VERSION is
#                  the google.golang.org/protobuf version required in go.mod, so
#                  the generator always matches the runtime library the code
#                  links against. Nothing is left in $GOPATH/bin.
#
#   protoc-gen-go-actr  this module's cmd/protoc-gen-go-actr, built into the
#                  same temporary GOBIN (`go install ./cmd/protoc-gen-go-actr`):
#                  the services' clients and servers for package rpc.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! command -v protoc >/dev/null 2>&1; then
	sudo=""
	if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
	echo "genproto: protoc not found; installing Debian's protobuf-compiler" >&2
	$sudo apt-get install -y protobuf-compiler ||
		{ $sudo apt-get update && $sudo apt-get install -y protobuf-compiler; }
fi

module="$(go list -m)"
version="$(go list -m -f '{{.Version}}' google.golang.org/protobuf)"
if [ -z "$version" ]; then
	echo "genproto: google.golang.org/protobuf is not required in go.mod" >&2
	exit 1
fi

gobin="$(mktemp -d)"
trap 'rm -rf "$gobin"' EXIT
GOBIN="$gobin" go install "google.golang.org/protobuf/cmd/protoc-gen-go@${version}"
GOBIN="$gobin" go install ./cmd/protoc-gen-go-actr

includes=(-I protocol/proto)
if [ -f /usr/include/google/protobuf/timestamp.proto ]; then
	includes+=(-I /usr/include)
fi

rm -f protocol/*.pb.go
# -I protocol/proto registers the files as "actr.proto" etc. and lets them
# import each other by bare name; module= strips the module path from
# go_package so the output lands in protocol/.
protoc "${includes[@]}" \
	--plugin=protoc-gen-go="$gobin/protoc-gen-go" \
	--go_out=. --go_opt="module=${module}" \
	protocol/proto/actr.proto protocol/proto/webrtc.proto protocol/proto/signaling.proto

# Services: messages and the actr client/server, next to their .proto.
rm -f rpc/echopb/*.pb.go
protoc -I rpc/echopb \
	--plugin=protoc-gen-go="$gobin/protoc-gen-go" \
	--plugin=protoc-gen-go-actr="$gobin/protoc-gen-go-actr" \
	--go_out=. --go_opt="module=${module}" \
	--go-actr_out=. --go-actr_opt="module=${module}" \
	rpc/echopb/echo.proto

echo "genproto: $(protoc --version), protoc-gen-go ${version}, protoc-gen-go-actr -> protocol/*.pb.go rpc/echopb/*.pb.go" >&2

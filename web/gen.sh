#!/bin/sh
# Regenerates web/gen/*_pb.js and *_pb.d.ts from protocol/proto/*.proto with
# protoc (Debian's protobuf-compiler; scripts/genproto.sh installs it) and
# protoc-gen-es, pinned in package-lock.json. Run from web/ after `npm ci`:
#
#     npm run gen
#
# The output is committed; regenerate it whenever a .proto changes.
set -eu
cd "$(dirname "$0")"
rm -rf gen
mkdir -p gen
protoc --plugin=protoc-gen-es=node_modules/.bin/protoc-gen-es \
	--es_out=gen --es_opt=target=js+dts,import_extension=js \
	-I ../protocol/proto ../protocol/proto/*.proto

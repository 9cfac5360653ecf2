#!/usr/bin/env bash
# Regenerate the Python modules (*_pb2.py, *_pb2.pyi) of the SAPIENT BSI Flex 335 v2.0 schema.
#
# The .proto files keep the official import paths ("sapient_msg/bsi_flex_335_v2_0/x.proto"),
# so they are compiled with -I at src/dronewall/interop/sapient; protoc then writes absolute
# imports "from sapient_msg.bsi_flex_335_v2_0 import x_pb2", which this script rewrites to
# "from dronewall.interop.sapient.sapient_msg.bsi_flex_335_v2_0 import x_pb2" so that the
# modules import inside our package, and marks each file as exempt from ruff (generated
# code). Needs grpcio-tools (the dev extra).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
root="$here/src/dronewall/interop/sapient"
py="${PYTHON:-$here/.venv/bin/python}"
cd "$root"
"$py" -m grpc_tools.protoc -I . --python_out=. --pyi_out=. sapient_msg/bsi_flex_335_v2_0/*.proto
for f in sapient_msg/bsi_flex_335_v2_0/*_pb2.py sapient_msg/bsi_flex_335_v2_0/*_pb2.pyi; do
    sed -i -E 's/^from sapient_msg\./from dronewall.interop.sapient.sapient_msg./' "$f"
    # generated code: exempt from ruff (file-level directive) rather than reformatting it
    sed -i '1i # ruff: noqa' "$f"
done
touch sapient_msg/__init__.py sapient_msg/bsi_flex_335_v2_0/__init__.py
echo "generated $(ls sapient_msg/bsi_flex_335_v2_0/*_pb2.py | wc -l) modules in $root/sapient_msg"

#!/usr/bin/env bash
# Create (idempotently) the virtual environment holding FreeTAKServer, the real TAK server
# that tests/test_interop_cot_fts.py relays our Cursor-on-Target events through.
#
#   tools/freetakserver.sh            # venv at $DRONEWALL_FTS_VENV or /tmp/dronewall-fts-venv
#
# FreeTAKServer 2.2.1 needs opentelemetry 1.24.0 (newer releases break its imports); it is
# kept out of the project venv because its pins clash with ours. Prints the venv path.
set -euo pipefail
VENV="${DRONEWALL_FTS_VENV:-/tmp/dronewall-fts-venv}"
PY="${PYTHON:-python3}"
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import FreeTAKServer" 2>/dev/null \
   && [ -f "$VENV/.dronewall-ok" ]; then
    echo "$VENV"
    exit 0
fi
"$PY" -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
"$VENV/bin/pip" install -q "FreeTAKServer==2.2.1" \
    "opentelemetry-sdk==1.24.0" "opentelemetry-api==1.24.0"
"$VENV/bin/python" -c "import FreeTAKServer" >/dev/null
touch "$VENV/.dronewall-ok"
echo "$VENV"

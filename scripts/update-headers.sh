#!/usr/bin/env bash
# Regenerates the C headers from the Rust sources and copies them into include/nats/.
# build.rs writes them into cargo's OUT_DIR on every build; this script finds that
# directory in cargo's JSON messages. Also refreshes README.md's API table.
# Commit include/ and README.md afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgid=$(cargo pkgid)
messages=$(mktemp)
trap 'rm -f "$messages"' EXIT
set +e
cargo build --release --message-format=json-render-diagnostics > "$messages"
status=$?
set -e

out_dir=$(python3 - "$pkgid" "$messages" <<'PY'
import json, sys
pkgid = sys.argv[1]
out = ""
with open(sys.argv[2]) as f:
    for line in f:
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if msg.get("reason") == "build-script-executed" and msg.get("package_id") == pkgid:
            out = msg["out_dir"]
print(out)
PY
)

if [ -z "$out_dir" ] || [ ! -d "$out_dir/include/nats" ]; then
    echo "update-headers: the build script did not run or produced no headers" >&2
    exit 1
fi

mkdir -p include/nats
changed=0
for h in nats.h status.h version.h; do
    if ! cmp -s "$out_dir/include/nats/$h" "include/nats/$h"; then
        cp "$out_dir/include/nats/$h" "include/nats/$h"
        echo "updated include/nats/$h"
        changed=1
    fi
done
[ "$changed" = 1 ] || echo "include/nats/ already up to date"
python3 scripts/api-table.py --update

if [ "$status" != 0 ]; then
    echo "update-headers: note: the headers were generated, but the crate itself did not compile (cargo exit $status)" >&2
fi

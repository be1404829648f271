#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# configs.sh PROFCOL SOURCE_DIR: every example config in configs/ passes
# `profcol validate`, and docs/components.md is what the option tables say
# (regenerate it with `build/profcol components --markdown > docs/components.md`).
set -eu
. "$(dirname "$0")/lib.sh"

PROFCOL=$1
SRC=$2

for cfg in "$SRC"/configs/*.yaml; do
    if "$PROFCOL" validate --config "$cfg" >"$T/out" 2>&1; then
        ok
    else
        bad "validate $(basename "$cfg")"
        sed 's/^/    /' "$T/out" >&2
    fi
done
"$PROFCOL" components --markdown >"$T/components.md"
if cmp -s "$T/components.md" "$SRC/docs/components.md"; then
    ok
else
    bad "docs/components.md is stale: regenerate it with 'profcol components --markdown'"
    diff -u "$SRC/docs/components.md" "$T/components.md" | head -40 >&2 || true
fi
finish

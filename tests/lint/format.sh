#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# format.sh SOURCE_DIR: every C source of the project follows .clang-format
# (fix with: clang-format -i FILE). Generated and third-party code is not ours.
set -eu
cd "$1"
files=$(find core receivers exporters tests bench -name '*.[ch]' | sort)
n=0
bad=0
for f in $files; do
    n=$((n + 1))
    if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
        echo "not formatted: $f (clang-format -i $f)" >&2
        bad=$((bad + 1))
    fi
done
echo "$((n - bad)) passed, $bad failed"
[ "$bad" -eq 0 ]

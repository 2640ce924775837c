#!/usr/bin/env bash
# Peak memory of a backend scanning 1,000,000 contacts from the fake (COPY of
# every column to /dev/null) against an idle backend's: must stay within 64 MB.
#   bash bench/memory.sh [--quick]      -> bench/results/memory.md
exec bash "$(dirname "$0")/run.sh" --memory "$@"

#!/usr/bin/env bash
# Set everything up, run the workflow on the bundled example, and list the results.
set -euo pipefail
cd "$(dirname "$0")"
bash setup.sh
.venv/bin/snakemake --cores 1 --resources gpu=1
find results -type f | sort

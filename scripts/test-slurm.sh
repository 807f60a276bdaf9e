#!/usr/bin/env bash
# `npm run test:slurm`: builds the tool, starts a throw-away single-node Slurm cluster on this
# machine (scripts/slurm-cluster.sh; installs slurm-wlm and munge with apt-get when absent; needs
# root), runs test/slurm against it, and tears the cluster down whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."

state=$(mktemp -d /tmp/shatter-slurm-cluster.XXXXXX)
cleanup() {
  local code=$?
  scripts/slurm-cluster.sh stop "$state" || true
  if [ $code -eq 0 ]; then
    rm -rf "$state"
  else
    echo "test:slurm failed (exit $code); cluster logs kept in $state" >&2
  fi
  exit $code
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

npx tsc -p tsconfig.json
scripts/slurm-cluster.sh start "$state"
export SLURM_CONF="$state/slurm.conf"
npx vitest run --config vitest.slurm.config.ts

#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian machine, then runs the whole suite.
# Extra arguments go to pytest (e.g. `bash scripts/test.sh tests/catalog -x`).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages: Chromium drives the browser tests, FFmpeg the media pipeline, nginx is the load
# balancer in front of the cluster test's nodes (tests/test_cluster.py starts its own, on a free port),
# wrk a load generator in C for the benchmarks (bench/wrk.py), which need the same services as the tests.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} from Debian"
  # Debian's nginx starts its service on port 80 when installed (or fails the install when it cannot):
  # a policy-rc.d that answers 101 is Debian's way to have a package install without starting its
  # services. One is put there for the install when the machine has none (containers usually do).
  policy=/usr/sbin/policy-rc.d
  ours=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
    as_root chmod 755 "$policy"
    ours=1
    trap 'as_root rm -f "$policy"' EXIT
  fi
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  if [ -n "$ours" ]; then
    as_root rm -f "$policy"
    trap - EXIT
  fi
  # Nor at the next boot: the service is enabled by the package.
  if [[ " ${missing[*]} " == *" nginx "* ]] && [ -d /run/systemd/system ]; then
    as_root systemctl disable --now nginx >/dev/null 2>&1 || true
  fi
fi

# PostgreSQL and Redis on loopback: start them if this machine has them but they are down.
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  as_root redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null || true
fi

# The Python environment. uv installs it (pinned here; it reads the same pins in pyproject.toml): pip
# took 25 to 45 s of a clean clone's run resolving and installing the test packages one by one,
# uv takes 5 s, bytecode compiled included.
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check uv==0.13.9
.venv/bin/uv pip install -q --compile-bytecode --python .venv/bin/python -e '.[test]'

# Static checks before the tests, so that CI fails on a violation: the front end (tsc on the JSDoc
# types, node --test on the pure modules), lint, formatting, types (mypy strict, configured in
# pyproject.toml) and the import layers. mypy, the longest (11 s on a clean clone), runs on the
# second core beside the others; its status is waited for before pytest starts.
.venv/bin/mypy &
mypy_pid=$!
bash scripts/check-frontend.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
if grep -q '^\[tool\.importlinter\]' pyproject.toml; then .venv/bin/lint-imports; fi
wait "$mypy_pid"

# Bytecode caching on, whatever the machine says (this one sets PYTHONDONTWRITEBYTECODE): every
# server process the tests start, every `minis` command and every worker would otherwise compile
# the platform's 230 modules (and pytest its rewritten tests) anew, 1.5 s of CPU each, a hundred
# times a run.
unset PYTHONDONTWRITEBYTECODE

# Three workers on this machine's two cores: with two, the cores were idle 14 % of the run (tests
# waiting on a server, a browser, a video that plays for seconds), measured from /proc; with three,
# 7 %, and the suite took 581 s instead of 623 s in one comparison. A test file stays on one
# worker, so its module and session fixtures (a live server, a browser) are made once. Each worker
# has its own databases.
# Files are handed out in collection order, the longest first (tests/conftest.py LONGEST_FIRST):
# xdist's default hands out the files with the most tests first, which left the long files of
# two tests (a crash, a storm) to the end, one worker running them alone.
exec .venv/bin/pytest -p no:cacheprovider -n 3 --dist loadfile --no-loadscope-reorder "$@"

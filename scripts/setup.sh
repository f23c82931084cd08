#!/usr/bin/env bash
# One command for a fresh machine: installs what is missing, then runs the demo or the test suite.
#   bash scripts/setup.sh demo [kameng demo options]   # install everything, file the example case on the twins
#   bash scripts/setup.sh test [pytest options]        # install everything, run the whole test suite
# Idempotent and prompt-free: a venv in .venv, the package with test extras, and (as root, when missing)
# Debian's chromium and fonts-noto-cjk.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-demo}"
shift || true

log() { printf '[setup] %s\n' "$*" >&2; }

have_chromium() {
  [ -n "${KAMENG_CHROMIUM:-}" ] && [ -x "${KAMENG_CHROMIUM}" ] && return 0
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
    || command -v google-chrome >/dev/null 2>&1 || ls "$HOME"/.cache/ms-playwright/chromium-* >/dev/null 2>&1
}
have_cjk_font() { fc-list 2>/dev/null | grep -qi "noto.*cjk"; }

if ! have_chromium || ! have_cjk_font; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    log "安装 chromium 与 fonts-noto-cjk (apt-get)…"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk fontconfig >/dev/null
  else
    log "缺少 Chromium 或中文字体:请以 root 运行,或手动安装 chromium 与 fonts-noto-cjk,"
    log "或运行 .venv/bin/playwright install chromium 后重试。"
  fi
fi

PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for c in python3.13 python3.12 python3.11 python3; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      PY="$c"; break
    fi
  done
fi
[ -n "$PY" ] || { log "需要 Python 3.11 或更新版本"; exit 1; }

if [ ! -x .venv/bin/python ]; then
  log "创建虚拟环境 .venv ($("$PY" --version))"
  "$PY" -m venv .venv
fi
stamp=.venv/.kameng-installed
want=$(cat pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || ! .venv/bin/python -c 'import kameng_filer' 2>/dev/null; then
  log "安装 kameng-filer 及测试依赖…"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e ".[test]"
  echo "$want" > "$stamp"
fi

case "$mode" in
  demo) exec .venv/bin/kameng demo "$@" ;;
  # two worker processes, one test file per worker at a time (module fixtures shared):
  # most tests wait on Chromium, servers and subprocesses, so two cores run two files at once
  test) exec .venv/bin/python -m pytest -n "${KAMENG_TEST_WORKERS:-2}" --dist loadfile "$@" ;;
  *) log "用法: bash scripts/setup.sh demo|test"; exit 2 ;;
esac

#!/usr/bin/env bash
# Installs everything the hub needs on a fresh Debian machine: the Python venv with the project in
# editable mode, and the Debian packages its local services use. Idempotent; downloads are cached
# under .cache/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .cache/pip

need_apt=()
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jre-headless)
command -v gcc >/dev/null 2>&1 || need_apt+=(gcc)  # compiles the engine with mypyc (hub/runtime/compiled.py)
# PostgreSQL server binaries (initdb, pg_ctl) for the DB connector test's throwaway cluster.
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need_apt+=(postgresql)
# The hall and ops pages' end-to-end tests drive Debian's Chromium through its chromedriver (a test tool's own
# browser download does not work here), and the page is Chinese: it needs CJK glyphs to render.
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
fc-list :lang=zh 2>/dev/null | grep -q . || need_apt+=(fonts-noto-cjk)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)
if [ ! -f "$stamp" ]; then
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install -q --cache-dir .cache/pip --upgrade pip
  .venv/bin/pip install -q --cache-dir .cache/pip -e '.[dev]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# The engine compiled with mypyc, cached per source digest; without it the same engine runs interpreted.
.venv/bin/python scripts/build_native.py build >/dev/null || echo "setup: the engine runs interpreted" >&2

# The Compose Specification's JSON schema, which tests/unit/docker validates docker/compose.yaml against
# (there is no Docker engine here): it ships inside the docker-compose wheel on PyPI; only the file is kept.
spec=.cache/compose-spec/compose_spec.json
if [ ! -f "$spec" ]; then
  mkdir -p .cache/compose-spec
  .venv/bin/pip download -q --no-deps --cache-dir .cache/pip -d .cache/compose-spec docker-compose==1.29.2 \
    && .venv/bin/python -c "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); open(sys.argv[2], 'wb').write(z.read('compose/config/compose_spec.json'))" \
       .cache/compose-spec/docker_compose-1.29.2-py2.py3-none-any.whl "$spec" \
    || echo "setup: the Compose schema could not be fetched; the compose test will say so" >&2
fi


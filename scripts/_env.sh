# Shared by scripts/monitor and scripts/check: make .venv with the project installed.
# Re-installs only when pyproject.toml changed since the last install.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "error: Python 3.11 or newer is needed as '$python' (set PYTHON=/path/to/python3.11)" >&2
    exit 1
fi
venv_args=()
# On a Raspberry Pi the lgpio pin factory comes from Debian's python3-lgpio package, which
# a venv sees only with system site packages.
if [ -e /proc/device-tree/model ] && grep -qi raspberry /proc/device-tree/model 2>/dev/null; then
    venv_args+=(--system-site-packages)
fi
if [ ! -x .venv/bin/python ]; then
    echo "Creating .venv ..." >&2
    "$python" -m venv "${venv_args[@]}" .venv
fi
stamp=.venv/.installed-$1
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "Installing insole-monitor into .venv ..." >&2
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".[$1]"
    touch "$stamp"
fi

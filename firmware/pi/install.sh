#!/usr/bin/env bash
# Install the insole monitor as a systemd service on Raspberry Pi OS Bookworm
# (Pi 3, 4, 5 and Zero 2 W). Run it from a checkout of the project:
#
#     sudo firmware/pi/install.sh
#
# It enables I2C, installs python3-venv, python3-lgpio, python3-libgpiod, i2c-tools and
# avahi-daemon, creates the system user "insole" (groups i2c and gpio), builds a venv that
# sees Debian's lgpio and gpiod (--system-site-packages), installs the project into it,
# installs and enables the systemd unit and prints the dashboard's address. Safe to run again: after `git pull` it
# upgrades the installed copy and restarts the service; steps already done are skipped.
#
# Options:
#   --dry-run      print what would be done and change nothing (needs no root)
#   --no-start     install and enable the service but do not (re)start it now
#   --no-apt       skip apt-get (packages installed already, or no network)
#   --print-unit   print the systemd unit as it would be installed, then exit
#   -h, --help     this text
# Environment:
#   INSOLE_PREFIX  where the venv goes (default /opt/insole-monitor -> .../venv)
set -euo pipefail

readonly service=insole-monitor
readonly service_user=insole
readonly port=5000
readonly default_prefix=/opt/insole-monitor
prefix="${INSOLE_PREFIX:-$default_prefix}"
prefix="${prefix%/}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
checkout="$(cd "$here/../.." && pwd)"
unit_src="$here/$service.service"
unit_dst="/etc/systemd/system/$service.service"
venv="$prefix/venv"

dry_run=0
start=1
use_apt=1
print_unit=0

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

for arg in "$@"; do
    case "$arg" in
        --dry-run) dry_run=1 ;;
        --no-start) start=0 ;;
        --no-apt) use_apt=0 ;;
        --print-unit) print_unit=1 ;;
        -h | --help) usage; exit 0 ;;
        *) printf 'error: unknown option %s (allowed: --dry-run --no-start --no-apt --print-unit --help)\n' "$arg" >&2; exit 2 ;;
    esac
done

say() { printf '==> %s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Every command that changes the system goes through run, so --dry-run shows them all.
run() {
    if [ "$dry_run" -eq 1 ]; then
        printf '+ %s\n' "$*"
    else
        "$@"
    fi
}

# The unit as installed: the venv path follows INSOLE_PREFIX.
render_unit() {
    case "$prefix" in
        /*) ;;
        *) die "INSOLE_PREFIX must be an absolute path, got '$prefix'" ;;
    esac
    case "$prefix" in
        *[[:space:]#\&\\]*) die "INSOLE_PREFIX must not contain spaces, '#', '&' or '\\'" ;;
    esac
    sed "s#$default_prefix/venv#$venv#g" "$unit_src"
}

if [ "$print_unit" -eq 1 ]; then
    render_unit
    exit 0
fi

if [ ! -f "$checkout/pyproject.toml" ] || [ ! -f "$unit_src" ]; then
    die "run this script from a checkout of insole-monitor (firmware/pi/install.sh)"
fi
if [ "$dry_run" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
    die "run as root: sudo $0 $*"
fi
command -v apt-get >/dev/null || die "apt-get not found: this script is for Raspberry Pi OS (Debian)"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
    || die "Python 3.11 or newer is needed (Raspberry Pi OS Bookworm has 3.11)"

if [ "$dry_run" -eq 1 ]; then
    say "dry run: commands that would change the system are printed with '+', none is run"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 1. I2C ------------------------------------------------------------------------------------
i2c_enabled_now=0
if command -v raspi-config >/dev/null; then
    # get_i2c prints 0 when enabled (raspi-config's convention: 0 means on).
    if [ "$(raspi-config nonint get_i2c)" = "0" ]; then
        say "I2C is enabled"
    else
        say "enabling I2C"
        run raspi-config nonint do_i2c 0
        i2c_enabled_now=1
    fi
else
    warn "raspi-config not found (not Raspberry Pi OS?): enable I2C yourself" \
        "(dtparam=i2c_arm=on in /boot/firmware/config.txt and i2c-dev in /etc/modules)"
fi

# 2. system packages ------------------------------------------------------------------------
# python3-lgpio: gpiozero's pin factory on Bookworm (the only one that works on a Pi 5);
# python3-libgpiod: Blinka (under the Adafruit ADS1x15 driver) imports gpiod for the Pi's
# pins before it opens the I2C bus; i2c-tools: i2cdetect for troubleshooting;
# avahi-daemon: <hostname>.local for the tablet.
packages=(python3-venv python3-lgpio python3-libgpiod i2c-tools avahi-daemon)
if [ "$use_apt" -eq 1 ]; then
    missing=()
    for package in "${packages[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$package")
        fi
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        say "installing ${missing[*]}"
        run apt-get update
        run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
    else
        say "system packages are installed (${packages[*]})"
    fi
else
    say "skipping apt-get (--no-apt); needed: ${packages[*]}"
fi

# 3. service user ---------------------------------------------------------------------------
for group in i2c gpio; do
    if ! getent group "$group" >/dev/null; then
        # Raspberry Pi OS has both; elsewhere the udev rules that use them may be missing.
        warn "group $group does not exist; creating it (device permissions may still need a udev rule)"
        run groupadd --system "$group"
    fi
done
if id -u "$service_user" >/dev/null 2>&1; then
    say "user $service_user exists"
else
    say "creating system user $service_user"
    run useradd --system --user-group --home-dir "/var/lib/$service" --no-create-home \
        --shell /usr/sbin/nologin "$service_user"
fi
run usermod --append --groups i2c,gpio "$service_user"

# 4. venv and the package -------------------------------------------------------------------
if [ -x "$venv/bin/python" ] && grep -qs '^include-system-site-packages = true' "$venv/pyvenv.cfg"; then
    say "venv $venv exists"
else
    if [ -e "$venv" ]; then
        # Made without --system-site-packages, it cannot see Debian's lgpio: rebuild it.
        say "rebuilding $venv with --system-site-packages"
        run rm -rf "$venv"
    else
        say "creating venv $venv"
    fi
    run mkdir -p "$prefix"
    run python3 -m venv --system-site-packages "$venv"
fi
# Build from a clean copy so that root-owned build/ and *.egg-info never land in the
# checkout (which belongs to the user who cloned it). One wheel, installed twice: first
# with its dependencies, then forced, because pip keeps an installed project whose version
# number did not change even when its code did (a `git pull` between releases).
say "installing insole-monitor from $checkout"
mkdir -p "$work/src"
tar -C "$checkout" --exclude=.git --exclude=.venv --exclude=build --exclude='*.egg-info' \
    --exclude=__pycache__ -cf - . | tar -C "$work/src" -xf -
run "$venv/bin/python" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" "$work/src"
if [ "$dry_run" -eq 1 ]; then
    wheel="$work/dist/insole_monitor-VERSION-py3-none-any.whl"
else
    wheel="$(find "$work/dist" -name 'insole_monitor-*.whl' | head -n 1)"
    [ -n "$wheel" ] || die "building the wheel failed (see the pip output above)"
fi
run "$venv/bin/python" -m pip install --quiet --upgrade "$wheel"
run "$venv/bin/python" -m pip install --quiet --no-deps --force-reinstall "$wheel"
run ln -sfn "$venv/bin/insole-monitor" /usr/local/bin/insole-monitor
if [ "$dry_run" -eq 0 ] && ! "$venv/bin/python" -c 'import lgpio' 2>/dev/null; then
    warn "the venv cannot import lgpio: the LED, buzzer and button will be disabled" \
        "(install python3-lgpio, or run '$venv/bin/pip install rpi-lgpio')"
fi

# 5. systemd unit ---------------------------------------------------------------------------
render_unit >"$work/$service.service"
if cmp -s "$work/$service.service" "$unit_dst"; then
    say "systemd unit is up to date"
else
    say "installing $unit_dst"
    run install -m 0644 "$work/$service.service" "$unit_dst"
fi
run systemctl daemon-reload
run systemctl enable "$service.service"
if [ "$start" -eq 1 ]; then
    say "(re)starting $service"
    run systemctl restart "$service.service"
    if [ "$dry_run" -eq 0 ]; then
        sleep 3
        if ! systemctl is-active --quiet "$service.service"; then
            warn "$service is not running; see: journalctl -u $service -n 50"
        fi
    fi
fi

# 6. where to go next -----------------------------------------------------------------------
host="$(hostname)"
address="$(hostname -I 2>/dev/null | awk '{print $1}')" || address=""
echo
say "done"
echo "Dashboard (from a tablet on the same network): http://$host.local:$port"
if [ -n "$address" ]; then
    echo "  or by address:                                 http://$address:$port"
fi
echo "Check the hardware as the service user (the service holds the pins while it runs):"
echo "  sudo systemctl stop $service"
echo "  cd /tmp && sudo -u $service_user INSOLE_DATA_DIR=/var/lib/$service insole-monitor doctor"
echo "  sudo systemctl start $service"
echo "Log: journalctl -u $service -f"
if [ "$i2c_enabled_now" -eq 1 ] && [ ! -e /dev/i2c-1 ]; then
    echo "I2C was just enabled but /dev/i2c-1 is not there yet: reboot (sudo reboot)."
fi

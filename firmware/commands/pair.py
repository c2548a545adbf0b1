"""``insole-monitor pair``: a pairing code for a tablet, and the list of paired devices.

Works while the service runs: the code goes into ``access.sqlite3`` in the data directory,
where the service looks when a browser enters it. So it must use the service's data
directory: ``--data-dir``, else ``$INSOLE_DATA_DIR``, else the installed service's
``/var/lib/insole-monitor`` when it exists, else the user's data directory. Run as root
(``sudo insole-monitor pair``) it first becomes the owner of that directory, so the files
it creates stay usable by the service's own user.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from dashboard.access.store import (
    DEFAULT_CODE_TTL_S,
    AccessStore,
    default_data_dir,
)
from insole.errors import StorageError
from insole.store import DATA_DIR_ENV

NAME = "pair"
HELP = "Show a one-time code to pair a tablet or browser; list or revoke paired devices."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``pair``."""
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--list", action="store_true", help="list the paired devices")
    action.add_argument(
        "--revoke", type=int, metavar="NUMBER", help="revoke the paired device with this number"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help=(
            "the service's data directory (default: $INSOLE_DATA_DIR, else "
            f"{SYSTEM_DATA_DIR} if it exists, else the user's data directory)"
        ),
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


SYSTEM_DATA_DIR = Path("/var/lib/insole-monitor")  # StateDirectory= of the systemd unit


def resolve_data_dir(option: Path | None) -> Path:
    """The data directory the running service uses (see the module docstring)."""
    if option is not None:
        return option
    if os.environ.get(DATA_DIR_ENV):
        return default_data_dir()
    if SYSTEM_DATA_DIR.is_dir():
        return SYSTEM_DATA_DIR
    return default_data_dir()


def become_owner_of(data_dir: Path) -> None:
    """As root, become the user owning ``data_dir``; for anyone else, do nothing.

    A root-owned access file would lock the service's own user out of its pairing data.
    """
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not data_dir.is_dir():
        return
    owner = data_dir.stat()
    if owner.st_uid == 0:
        return
    os.setgroups([])
    os.setgid(owner.st_gid)
    os.setuid(owner.st_uid)


def _when(wall_s: float) -> str:
    return datetime.fromtimestamp(wall_s, UTC).strftime("%Y-%m-%d %H:%M UTC")


def run(args: argparse.Namespace) -> int:
    """Issue a code, list devices or revoke one; returns the exit status."""
    data_dir = resolve_data_dir(args.data_dir)
    become_owner_of(data_dir)
    if data_dir.is_dir() and not os.access(data_dir, os.W_OK | os.X_OK):
        raise StorageError(
            f"cannot write to {data_dir}, where the service keeps its pairing data; run "
            "`sudo insole-monitor pair` (it acts as the owner of that directory)"
        )
    store = AccessStore.in_data_dir(data_dir)
    if args.list:
        devices = store.devices()
        if args.json:
            print(json.dumps({"devices": [d.to_dict() for d in devices]}))
        elif not devices:
            print("No browser is paired.")
        else:
            print(f"{'No.':>4}  {'paired by':<9}  {'paired':<20}  {'last seen':<20}  browser")
            for d in devices:
                print(
                    f"{d.id:>4}  {d.method:<9}  {_when(d.created_wall_s):<20}  "
                    f"{_when(d.last_seen_wall_s):<20}  {d.label}"
                )
        return 0
    if args.revoke is not None:
        store.revoke(args.revoke)  # UnknownDeviceError -> the CLI prints its message
        if args.json:
            print(json.dumps({"revoked": args.revoke}))
        else:
            print(f"Device {args.revoke} revoked: that browser must pair again.")
        return 0
    issued = store.new_code(DEFAULT_CODE_TTL_S)
    if args.json:
        print(json.dumps({"code": issued.code, "expires_wall_s": issued.expires_wall_s}))
    else:
        minutes = round(issued.ttl_s / 60)
        print(f"Pairing code: {issued.code}")
        print(f"(data directory: {data_dir})")
        print(
            f"Open the dashboard on the tablet and enter it on the pairing page within "
            f"{minutes} minutes. It works once; a new code replaces this one."
        )
    return 0

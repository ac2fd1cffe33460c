"""``bayesreg cache``: where compiled samplers are kept, and emptying it."""

from __future__ import annotations

import argparse
import shutil


def register(sub) -> None:
    p = sub.add_parser("cache", help="show or clear the persistent compilation cache",
                       description="Compiled samplers are cached on disk so a new process does not compile "
                                   "them again. BAYESREG_CACHE_DIR sets the folder; 'off' disables it.")
    p.add_argument("action", choices=("info", "clear"), nargs="?", default="info",
                   help="info: show the folder and its size; clear: delete it")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..config import cache_dir

    folder = cache_dir()
    if folder is None:
        print("persistent compilation cache: disabled (BAYESREG_CACHE_DIR=off)")
        return 0
    files = [f for f in folder.rglob("*") if f.is_file()] if folder.exists() else []
    size = sum(f.stat().st_size for f in files)
    if args.action == "clear":
        if folder.exists():
            shutil.rmtree(folder)
        print(f"cleared {folder} ({len(files)} files, {size / 1e6:.1f} MB)")
        return 0
    print(f"persistent compilation cache: {folder}\n{len(files)} files, {size / 1e6:.1f} MB")
    return 0

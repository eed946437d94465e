#!/usr/bin/env python3
"""Writes the Gradescope autograder zip: the whole kit (solutions included: it stays on
Gradescope's side), with setup.sh and run_autograder at the top as Gradescope wants.

    python3 grader/gradescope/make_zip.py --output autograder.zip .
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

LEFT_OUT = ("build", "dist", ".git", "__pycache__")
HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kit", type=Path)
    parser.add_argument("--output", type=Path, default=Path("autograder.zip"))
    args = parser.parse_args(argv)
    with zipfile.ZipFile(args.output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ("setup.sh", "run_autograder"):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o100755 << 16
            archive.writestr(info, (HERE / name).read_bytes())
        for path in sorted(args.kit.rglob("*")):
            relative = path.relative_to(args.kit)
            if any(part in LEFT_OUT for part in relative.parts) or not path.is_file():
                continue
            if path.is_symlink() or path.resolve() == args.output.resolve():
                continue
            archive.write(path, relative.as_posix())
    print(f"make_zip: wrote {args.output}: upload it as the Gradescope autograder")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

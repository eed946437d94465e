#!/usr/bin/env python3
"""Writes the Gradescope autograder zip: the kit (solutions included: it stays on
Gradescope's side; no mutants, no grader fixtures), with setup.sh, run_autograder and
autograder.ini at the top as Gradescope wants.

    python3 grader/gradescope/make_zip.py --output autograder.zip .
    python3 grader/gradescope/make_zip.py --config my.ini --hidden-tests hidden/ .

--config FILE: the autograder.ini to ship (default: grader/gradescope/autograder.ini).
--hidden-tests DIR: DIR/labN/*.c go into the zip as hidden_tests/, and the shipped
autograder.ini's hidden_tests says so.
"""

from __future__ import annotations

import argparse
import configparser
import io
import sys
import zipfile
from pathlib import Path

LEFT_OUT = ("build", "dist", ".git", "__pycache__")
LEFT_OUT_PATHS = ("tests/mutants", "grader/tests")
HERE = Path(__file__).resolve().parent
HIDDEN = "hidden_tests"


def config_text(config: Path, hidden: bool) -> str:
    text = config.read_text(encoding="utf-8")
    if not hidden:
        return text
    parsed = configparser.ConfigParser(interpolation=None)
    parsed.read_string(text)
    if not parsed.has_section("grade"):
        parsed.add_section("grade")
    parsed["grade"]["hidden_tests"] = HIDDEN
    out = io.StringIO()
    parsed.write(out)
    return out.getvalue()


def left_out(relative: Path) -> bool:
    return (any(part in LEFT_OUT for part in relative.parts)
            or any(relative.as_posix().startswith(prefix + "/") for prefix in LEFT_OUT_PATHS))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kit", type=Path)
    parser.add_argument("--output", type=Path, default=Path("autograder.zip"))
    parser.add_argument("--config", type=Path, default=HERE / "autograder.ini")
    parser.add_argument("--hidden-tests", type=Path, metavar="DIR")
    args = parser.parse_args(argv)
    if args.hidden_tests is not None and not args.hidden_tests.is_dir():
        print(f"make_zip: --hidden-tests {args.hidden_tests}: no such folder", file=sys.stderr)
        return 2
    if not args.config.is_file():
        print(f"make_zip: --config {args.config}: no such file", file=sys.stderr)
        return 2
    with zipfile.ZipFile(args.output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ("setup.sh", "run_autograder"):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o100755 << 16
            archive.writestr(info, (HERE / name).read_bytes())
        archive.writestr("autograder.ini", config_text(args.config, args.hidden_tests is not None))
        for path in sorted(args.kit.rglob("*")):
            relative = path.relative_to(args.kit)
            if left_out(relative) or not path.is_file():
                continue
            if path.is_symlink() or path.resolve() == args.output.resolve():
                continue
            archive.write(path, relative.as_posix())
        if args.hidden_tests is not None:
            for path in sorted(args.hidden_tests.glob("lab*/*.[ch]")):
                archive.write(path, f"{HIDDEN}/{path.relative_to(args.hidden_tests).as_posix()}")
    print(f"make_zip: wrote {args.output}: upload it as the Gradescope autograder")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""python3 -m grader: the grader's command line (grader/cli.py), as grader/grade runs it."""

import sys

from grader.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""make lint's runner (tests/tools/lint.py): which files each checker gets, and that each catches a
planted problem in a small kit laid out in a temporary folder."""

from __future__ import annotations

import shutil
import tempfile
import unittest
from pathlib import Path

from tests.tools import lint

KIT = Path(__file__).resolve().parents[2]


def lay_out(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


class Discovery(unittest.TestCase):
    def setUp(self) -> None:
        scratch = tempfile.TemporaryDirectory(prefix="lint-test-")
        self.addCleanup(scratch.cleanup)
        self.kit = Path(scratch.name)
        lay_out(self.kit, {
            ".ci/run": "#!/usr/bin/env bash\ntrue\n",
            "tools/deps.sh": "set -e\n",
            "tools/plain": "no shebang\n",
            "tools/run.py": "x = 1\n",
            "tools/sub/run.py": "y = 2\n",
            "tools/script": "#!/usr/bin/env python3\nz = 3\n",
            "pkg/__init__.py": "",
            "pkg/inner/__init__.py": "",
            "pkg/inner/mod.py": "",
            "pkg/namespace/tool.py": "from pkg.inner import mod\n",  # like grader/runtime
            "pkg/scripts/__main__.py": "import steps\n",  # like tests/tools/trace
            "pkg/scripts/steps.py": "",
            "pkg/grade": "#!/usr/bin/python3\n",
            "build/generated.py": "",
            ".git/hooks/hook.sh": "",
        })
        self.files = lint.kit_files(self.kit)

    def test_shell_scripts_by_suffix_or_first_line(self) -> None:
        self.assertEqual(lint.scripts(self.kit, self.files, ".sh", lint.SHELL_SHEBANG),
                         [Path(".ci/run"), Path("tools/deps.sh")])

    def test_python_files_by_suffix_or_first_line_not_in_build(self) -> None:
        found = lint.scripts(self.kit, self.files, ".py", lint.PYTHON_SHEBANG)
        self.assertEqual([path.as_posix() for path in found],
                         ["pkg/__init__.py", "pkg/grade", "pkg/inner/__init__.py",
                          "pkg/inner/mod.py", "pkg/namespace/tool.py", "pkg/scripts/__main__.py",
                          "pkg/scripts/steps.py", "tools/run.py", "tools/script",
                          "tools/sub/run.py"])

    def test_mypy_runs_keep_folders_of_scripts_apart(self) -> None:
        python = lint.scripts(self.kit, self.files, ".py", lint.PYTHON_SHEBANG)
        runs = {run.label: ([path.as_posix() for path in run.targets], run.files,
                            [path.as_posix() for path in run.excluded], run.scripts)
                for run in lint.mypy_runs(self.kit, python)}
        self.assertEqual(runs, {
            "pkg/, pkg/grade": (["pkg", "pkg/grade"], 5, ["pkg/scripts"], False),
            "pkg/scripts/": (["pkg/scripts/__main__.py", "pkg/scripts/steps.py"], 2, [], True),
            "tools/": (["tools/run.py", "tools/script"], 2, [], True),
            "tools/sub/": (["tools/sub/run.py"], 1, [], True)})


class PlantedProblems(unittest.TestCase):
    """A kit with one problem for each checker: every check reports it; without, all pass."""

    def setUp(self) -> None:
        self.tools, missing = lint.find_tools("gcc", analyze=True)
        if missing:
            self.skipTest(f"not installed: {', '.join(missing)} (make deps)")
        scratch = tempfile.TemporaryDirectory(prefix="lint-test-")
        self.addCleanup(scratch.cleanup)
        self.kit = Path(scratch.name)
        (self.kit / "grader").mkdir()
        shutil.copy(KIT / lint.MYPY_CONFIG, self.kit / lint.MYPY_CONFIG)

    def findings(self) -> dict[str, bool]:
        found = lint.lint(self.kit, self.tools, "gcc", ["-std=c11", "-Wall"], jobs=2)
        return {finding.name.split(" ")[0]: finding.passed for finding in found}

    def test_each_checker_reports_its_problem(self) -> None:
        lay_out(self.kit, {
            "tools/deps.sh": '#!/bin/sh\necho $1\n',  # SC2086: unquoted
            "tools/a.py": "import os\n",  # unused import
            "tools/b.py": "def f(x: int) -> str:\n    return x\n",  # wrong type
            "solutions/lab1/c.c": "#include <stdlib.h>\nint f(void);\n"
                                  "int f(void)\n{\n    char *p = malloc(1);\n"
                                  "    return p != NULL;\n}\n",  # a leak: the analyzer's alone
        })
        self.assertEqual(self.findings(), {"shellcheck": False, "pyflakes": False, "mypy": False,
                                           "gcc": False})

    def test_clean_code_passes(self) -> None:
        lay_out(self.kit, {
            "tools/deps.sh": '#!/bin/sh\necho "$1"\n',
            "tools/a.py": "import os\n\nprint(os.sep)\n",
            "tools/b.py": "def f(x: int) -> str:\n    return str(x)\n",
            "solutions/lab1/c.c": "int f(void);\nint f(void)\n{\n    return 0;\n}\n",
        })
        self.assertEqual(self.findings(), {"shellcheck": True, "pyflakes": True, "mypy": True,
                                           "gcc": True})


if __name__ == "__main__":
    unittest.main()

"""How many points each test is worth: the one place to change the rubric.

Read it like a list. Every lab is worth LAB_POINTS. A lab's points are shared among its
tests in proportion to their weights: the first pattern below that matches
"labN:suite::test" gives the weight, and a test no pattern names weighs 1 (so a new
test, or an instructor's hidden test, counts without editing this file).

Of each test's points, VALGRIND_SHARE is earned only when the test also passes under
Valgrind (no memory error, no leak, no descriptor left open); the rest is earned by
passing natively. So a lab's Valgrind findings cost at most VALGRIND_SHARE of it.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

LAB_POINTS = 100.0
VALGRIND_SHARE = 0.2

#  pattern (fnmatch over "labN:suite::test")            weight
WEIGHTS: tuple[tuple[str, float], ...] = (
    ("lab*:rules::*",                                    0.5),  # "no function prints"
    ("lab1:socket_kind::*",                              1.5),
    ("lab2:addr_to_string::*",                           1.5),
    ("lab5:send_all::*",                                 1.5),
    ("lab5:recv_all::*",                                 1.5),
    ("lab6:echo_server::*",                              1.5),
    ("lab7:echo_client::*",                              1.5),
    ("lab8:multi_echo_server::*",                        1.5),
    ("lab9:udp_request::*",                              1.5),
    ("lab9:udp_echo_server::*",                          1.5),
    ("lab9:udp_echo_client::*",                          1.5),
    ("lab10:sockaddr_to_string::*",                      0.5),  # many small cases of one text
)


def weight_of(lab_name: str, test: str, weights: tuple[tuple[str, float], ...] = WEIGHTS) -> float:
    """The weight of one test (`test` is "suite::name")."""
    full_name = f"{lab_name}:{test}"
    for pattern, weight in weights:
        if fnmatchcase(full_name, pattern):
            return weight
    return 1.0


def test_points(lab_name: str, tests: list[str], lab_points: float = LAB_POINTS) -> dict[str, float]:
    """Each test's maximum points: the lab's points shared by weight."""
    weights = {test: weight_of(lab_name, test) for test in tests}
    total = sum(weights.values())
    if total <= 0:
        return {test: 0.0 for test in tests}
    return {test: lab_points * weight / total for test, weight in weights.items()}

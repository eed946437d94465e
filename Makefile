# socketlab - a C lab kit for socket programming.
#
# Students:     make lab1 && make check      (then fix, and run make check again)
# Instructors:  make test                    (the kit's own self-test)
#
# `make help` lists every target. The variables below the help text are the
# knobs the kit's own tools (the self-test, the grader) turn; students need none.

.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3

help:
	@echo "socketlab: socket programming in C, one lab at a time."
	@echo ""
	@echo "Student targets:"
	@echo "  make labN         build lab N (your files of labs 1..N plus its tests); it becomes the current lab"
	@echo "  make check        run the current lab's tests (make check LAB=2 for another lab; VERBOSE=1 lists the passes)"
	@echo "  make memcheck     run the current lab's tests under Valgrind (leaks, memory errors, descriptors)"
	@echo "  make status       a table of every lab: tests passing / total"
	@echo "  make interop      run the current lab's programs against independent peers: Python, nc, the"
	@echo "                    reference's (labs 6-9; lab 9: UDP, with nc -u)"
	@echo "  make demo         the echo server and client talking, side by side (MINE=1: your own build;"
	@echo "                    LAB=8: many clients at once; LAB=9: UDP)"
	@echo "  make trace        your system calls and packets next to the reference's (labs 3-10;"
	@echo "                    SCENARIO=name, TEST=suite/name)"
	@echo "  make bench-echo   N clients at once against an echo server: MB/s and round-trip p50/p90/p99"
	@echo "                    (LAB=6 one at a time, LAB=8 poll(); SERVER=reference|yours|python;"
	@echo "                    CLIENTS=8 BYTES=1M SIZE=1024)"
	@echo "  make grade        grade your checkout as the autograder will (LAB=3 or LABS=1-3: some labs;"
	@echo "                    FAST=1: no Valgrind; CUMULATIVE=1: each lab on your own earlier labs)"
	@echo "  make handin       write handin.tar.gz with just your files, ready to submit"
	@echo "  make clean        remove build/"
	@echo ""
	@echo "Kit targets:"
	@echo "  make deps         install Criterion, Valgrind and Python 3 (apt-get or dnf)"
	@echo "  make test         the kit's self-test: solutions pass, skeletons fail, mutants are caught"
	@echo "  make lint         shellcheck, pyflakes, mypy and gcc -fanalyzer on the kit's own code (seconds)"
	@echo "  make bench        time each lab's build and check, and the self-test"
	@echo "  make bench-grader time the autograder on copies of the solution and the skeleton"
	@echo "  make dist         write dist/socketlab-student.tar.gz: the kit without solutions"
	@echo "  make autograder-zip  write autograder.zip for Gradescope (see grader/README.md)"
	@echo ""
	@echo "Variables:  LAB=N (check, memcheck, grade)   SOLUTION=1 (build the reference solutions)   VERBOSE=1"
	@echo "Labs:       $(LAB_NUMBERS)"

# ---- what the labs are: each declared once, in labs/labN/lab.mk -----------------

# Every labs/labN folder is a lab; its lab.mk says what it is (LAB_TITLE, LAB_FILES,
# LAB_PROGRAMS, LAB_SERVERS, LAB_CLIENTS), and the grader and the kit's tools read the same
# file (grader/labs.py). Read here into FILES_N, PROGRAMS_N and UPTO_N (the labs 1..N).
LAB_NUMBERS := $(shell ls -d labs/lab[0-9]* 2>/dev/null | sed 's|labs/lab||' | sort -n)

define read_lab
$(if $(wildcard labs/lab$(1)/lab.mk),,$(error labs/lab$(1) has no lab.mk: every lab is declared there, see labs/lab1/lab.mk))
LAB_TITLE :=
LAB_FILES :=
LAB_PROGRAMS :=
LAB_SERVERS :=
LAB_CLIENTS :=
include labs/lab$(1)/lab.mk
TITLE_$(1) := $$(LAB_TITLE)
FILES_$(1) := $$(LAB_FILES)
PROGRAMS_$(1) := $$(LAB_PROGRAMS)
UPTO_$(1) := $$(UPTO_SO_FAR) $(1)
UPTO_SO_FAR := $$(UPTO_$(1))
endef
UPTO_SO_FAR :=
$(foreach n,$(LAB_NUMBERS),$(eval $(call read_lab,$(n))))

# ---- where sources come from and where the build goes ------------------------

ifeq ($(SOLUTION),1)
SRC ?= solutions
BUILD ?= build/solution
else
SRC ?= labs
BUILD ?= build
endif
TEST_BUILD ?= $(BUILD)
EXTRA_TESTS ?=

CC ?= cc
STUDENT_CFLAGS := -std=c11 -Wall -Wextra -pedantic -g -O0 -D_DEFAULT_SOURCE
ifeq ($(WERROR),1)
STUDENT_CFLAGS += -Werror
endif
INCLUDES := $(foreach n,$(LAB_NUMBERS),-Ilabs/lab$(n))
CRITERION_CFLAGS = $(shell pkg-config --cflags criterion 2>/dev/null)
CRITERION_LIBS = $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)
# -Wno-override-init: the tests' designated initialisers (LAB_TEST options, struct lab_call
# tables) set a field a macro has already given its default; the later value is the point.
# Test code is built with -Og: under Valgrind every load and store of -O0 code is
# checked, so optimised test code makes make memcheck about a fifth faster. Student
# code stays at -O0 (STUDENT_CFLAGS), as the handouts say, and so does the code that
# runs in a student session before each student call (labcall.c, each lab's
# proxies.c): what it leaves on the stack is what a student's uninitialised local
# reads natively, and a mutant such as lab 4's connect--addrlen-uninitialised must
# keep passing natively for the reason it always did.
TEST_OPT = -Og
TEST_CFLAGS = -std=gnu11 -Wall -Wextra -Wno-override-init -g $(TEST_OPT) -D_GNU_SOURCE \
              -Itests/common $(INCLUDES) $(CRITERION_CFLAGS)
OBJCHECK = $(PYTHON) -m grader.runtime.objcheck $(foreach n,$(LAB_NUMBERS),--header labs/lab$(n)/lab$(n).h)

# ---- which lab: LAB=N, else a labN goal on the command line, else the last built

CURRENT_FILE := $(BUILD)/current-lab
GOAL_LAB := $(lastword $(patsubst lab%,%,$(filter lab%,$(MAKECMDGOALS))))
LAB ?= $(if $(GOAL_LAB),$(GOAL_LAB),$(shell cat $(CURRENT_FILE) 2>/dev/null))

define no_such_lab
echo "make: there is no lab '$(1)'. The labs are: $(LAB_NUMBERS) (for example: make lab1)." >&2; exit 2
endef

# ---- build rules --------------------------------------------------------------

# Lab-specific link flags for tests (for example --wrap=send) live in tests/labN/build.mk.
-include $(wildcard tests/lab*/build.mk)

# A student's library file reaches the tests only as a checked copy whose contract
# symbols are renamed student__NAME (tests/tools/objcheck.py): the tests call them
# through proxies that run each call in a child process (tests/common/labcall.h).
# Programs link the plain objects, once every one of them has passed the same check.
lab_files = $(foreach k,$(UPTO_$(1)),\
              $(patsubst %.c,$(BUILD)/obj/lab$(k)/%,$(FILES_$(k))))
lib_objects = $(addsuffix .o,$(call lab_files,$(1)))
checked_objects = $(addsuffix .renamed.o,$(call lab_files,$(1)))
test_sources = $(wildcard tests/lab$(1)/*.c) $(if $(EXTRA_TESTS),$(wildcard $(EXTRA_TESTS)/lab$(1)/*.c))
test_objects = $(patsubst %.c,$(TEST_BUILD)/testobj/lab$(1)/%.o,$(notdir $(call test_sources,$(1)))) \
               $(patsubst tests/common/%.c,$(TEST_BUILD)/testobj/lab$(1)/common/%.o,$(wildcard tests/common/*.c))
# test_labN_fork: the same test objects without libcriterion, for the fork runner alone (make
# memcheck, the grader's Valgrind pass): under Valgrind, loading Criterion and the twenty
# libraries it pulls in costs every run a fifth of a second. See the file below.
fork_only_objects = $(TEST_BUILD)/testobj/lab$(1)/common/fork_only/criterion_stand_ins.o
program_paths = $(foreach k,$(UPTO_$(1)),\
                  $(addprefix $(BUILD)/lab$(k)/,$(PROGRAMS_$(k))))

# The one compile recipe: $(call compile,FLAGS) compiles $< into $@ with its dependency file.
define compile
@mkdir -p $(@D)
$(CC) $(1) -MMD -MP -c $< -o $@
endef
compile_test = $(call compile,$(TEST_CFLAGS) -DLAB_NAME='"lab$(1)"')

$(BUILD)/obj/%.o: $(SRC)/%.c
	$(call compile,$(STUDENT_CFLAGS) $(INCLUDES))

define lab_rules
$(TEST_BUILD)/testobj/lab$(1)/%.o: tests/lab$(1)/%.c | criterion-present
	$$(call compile_test,$(1))

$(TEST_BUILD)/testobj/lab$(1)/common/%.o: tests/common/%.c | criterion-present
	$$(call compile_test,$(1))

$(BUILD)/obj/lab$(1)/%.renamed.o: $(BUILD)/obj/lab$(1)/%.o
	@$$(OBJCHECK) --lab $(1) --kind library --source $(SRC)/lab$(1)/$$*.c --renamed $$@ $$<

$(BUILD)/obj/lab$(1)/%.checked: $(BUILD)/obj/lab$(1)/%.o
	@$$(OBJCHECK) --lab $(1) --kind program --source $(SRC)/lab$(1)/$$*.c --stamp $$@ $$<

$(BUILD)/lab$(1)/test_lab$(1): $(call test_objects,$(1)) $(call checked_objects,$(1)) | criterion-present
	@mkdir -p $$(@D)
	$$(CC) $$^ -o $$@ $$(CRITERION_LIBS) $$(TEST_LDFLAGS_$(1))

$(BUILD)/lab$(1)/test_lab$(1)_fork: $(call test_objects,$(1)) $(call fork_only_objects,$(1)) \
                                  $(call checked_objects,$(1)) | criterion-present
	@mkdir -p $$(@D)
	$$(CC) $$^ -o $$@ $$(TEST_LDFLAGS_$(1))

build-lab$(1): $(BUILD)/lab$(1)/test_lab$(1) $(BUILD)/lab$(1)/test_lab$(1)_fork $(call program_paths,$(1))

programs-lab$(1): $(call program_paths,$(1))
endef

# An instructor's hidden tests (EXTRA_TESTS=dir holding labN/*.c) join the lab's own.
define extra_test_rules
$(TEST_BUILD)/testobj/lab$(1)/%.o: $(EXTRA_TESTS)/lab$(1)/%.c | criterion-present
	$$(call compile_test,$(1))
endef

define program_rules
$(BUILD)/lab$(1)/$(2): $(BUILD)/obj/lab$(1)/$(2).o $(call lib_objects,$(1)) \
                      $(BUILD)/obj/lab$(1)/$(2).checked $(call checked_objects,$(1))
	@mkdir -p $$(@D)
	$$(CC) $$(filter %.o,$$(filter-out %.renamed.o,$$^)) -o $$@
endef

# The plain library objects stay after a build, whether or not a program links them (lab 10's
# names.o has no program): make trace links them into its driver.
.SECONDARY: $(call lib_objects,$(lastword $(LAB_NUMBERS)))

$(foreach n,$(LAB_NUMBERS),$(eval $(call lab_rules,$(n))))
%/common/labcall.o %/proxies.o: TEST_OPT = -O0
$(if $(EXTRA_TESTS),$(foreach n,$(LAB_NUMBERS),$(eval $(call extra_test_rules,$(n)))))
$(foreach n,$(LAB_NUMBERS),$(foreach p,$(PROGRAMS_$(n)),$(eval $(call program_rules,$(n),$(p)))))

-include $(shell find $(BUILD)/obj $(TEST_BUILD)/testobj -name '*.d' 2>/dev/null)

# ---- student targets ----------------------------------------------------------

# make labN: build lab N (quietly: only what the compiler says) and remember it as the current lab.
$(addprefix lab,$(LAB_NUMBERS)): lab%:
	@$(MAKE) -s --no-print-directory build-lab$*
	@mkdir -p $(BUILD) && echo $* > $(CURRENT_FILE)
	@echo "lab$*: built $(BUILD)/lab$*/test_lab$*$(if $(strip $(call program_paths,$*)), and $(strip $(call program_paths,$*))). Now run: make check"

# make lab99 (or make labx): say which labs exist.
UNKNOWN_LAB_GOALS := $(filter-out $(addprefix lab,$(LAB_NUMBERS)),$(filter lab%,$(MAKECMDGOALS)))
$(UNKNOWN_LAB_GOALS):
	@$(call no_such_lab,$(patsubst lab%,%,$@))

.PHONY: help check memcheck status interop demo grade handin clean deps test bench bench-grader dist autograder-zip \
        criterion-present need-lab $(addprefix build-lab,$(LAB_NUMBERS)) $(addprefix lab,$(LAB_NUMBERS)) \
        $(addprefix programs-lab,$(LAB_NUMBERS)) \
        $(UNKNOWN_LAB_GOALS)

need-lab:
	@if [ -z "$(LAB)" ]; then \
	  echo "make: no lab chosen yet. Build one first (make lab1), or name it: make check LAB=1." >&2; exit 2; fi
	@$(if $(filter $(LAB),$(LAB_NUMBERS)),,$(call no_such_lab,$(LAB)))

LABCHECK = $(PYTHON) -m grader.runtime.labcheck --build $(BUILD)
# check and memcheck build the lab themselves (quietly, and saying which kit files are edited).
CHECK_FLAGS = --make "$(MAKE)" $(if $(filter-out labs,$(SRC)),--solution) $(if $(filter 1,$(VERBOSE)),--verbose)

check: need-lab
	@$(LABCHECK) check --lab $(LAB) $(CHECK_FLAGS)

memcheck: need-lab
	@$(LABCHECK) memcheck --lab $(LAB) $(CHECK_FLAGS)

status: criterion-present
	@$(LABCHECK) status --labs "$(LAB_NUMBERS)" --make "$(MAKE)" $(if $(filter 1,$(SOLUTION)),--solution)

interop: need-lab
	@$(MAKE) --no-print-directory build-lab$(LAB)
	@$(PYTHON) tests/interop/run.py --build $(BUILD) --lab $(LAB)

# make demo: the reference programs; make demo MINE=1 (or a kit without solutions/): yours.
# Lab 7's echo server and client unless LAB is given: LAB=8 many clients at once, LAB=9 UDP
# (LAB=6 is lab 7's demo too: it needs the client).
DEMO_LAB := $(if $(filter command line environment override,$(origin LAB)),$(if $(filter 6,$(LAB)),7,$(LAB)),7)
DEMO_WHOSE := $(if $(filter 1,$(MINE)),yours,$(if $(wildcard solutions/lab$(DEMO_LAB)),reference,yours-only))
# BUILD=dir given on the command line (or in the environment) is where the demo's programs go.
DEMO_BUILD := $(if $(filter command line environment,$(origin BUILD)),$(BUILD),$(if \
                $(filter reference,$(DEMO_WHOSE)),build/solution,build))

demo:
	@$(if $(filter 7 8 9,$(DEMO_LAB)),,echo "make demo: lab $(DEMO_LAB) has no demo. The demos: make demo \
	  (lab 7: the echo server and client), make demo LAB=8 (many clients at once), make demo LAB=9 (UDP)." >&2; exit 2)
	@$(MAKE) -s --no-print-directory SOLUTION=$(if $(filter reference,$(DEMO_WHOSE)),1,0) \
	  BUILD=$(DEMO_BUILD) programs-lab$(DEMO_LAB)
	@$(PYTHON) tests/tools/demo.py --build $(DEMO_BUILD) --whose $(DEMO_WHOSE) --lab $(DEMO_LAB)

# make bench-echo: CLIENTS clients at once, BYTES each, against an echo server
# (tests/tools/bench_echo.py). LAB=6: lab 6's echo_server -k (one client at a time); LAB=8, the
# default: lab 8's multi_echo_server. SERVER=reference (the default when the kit has
# solutions/), yours, or python (tests/interop/echo_server.py -k, one at a time).
BENCH_LAB := $(if $(filter command line environment override,$(origin LAB)),$(LAB),8)
BENCH_PROGRAMS_LAB := $(if $(filter 6 7,$(BENCH_LAB)),6,8)
BENCH_SERVER := $(or $(SERVER),$(if $(wildcard solutions/lab8),reference,yours))
BENCH_BUILD := $(if $(filter reference,$(BENCH_SERVER)),build/solution,build)

.PHONY: bench-echo
bench-echo:
	@$(if $(filter reference yours python,$(BENCH_SERVER)),,echo "make bench-echo: SERVER is \
	  reference, yours or python, not '$(BENCH_SERVER)'." >&2; exit 2)
	@$(if $(filter reference,$(BENCH_SERVER)),$(if $(wildcard solutions/lab$(BENCH_PROGRAMS_LAB)),,\
	  echo "make bench-echo: this kit has no solutions/, so no reference build: SERVER=yours or \
	  SERVER=python." >&2; exit 2))
	@$(if $(filter $(BENCH_LAB),$(LAB_NUMBERS)),,$(call no_such_lab,$(BENCH_LAB)))
	@$(if $(filter 1 2 3 4 5,$(BENCH_LAB)),echo "make bench-echo: lab $(BENCH_LAB) has no echo \
	  server; LAB=6 (one client at a time) or LAB=8 (every client at once)." >&2; exit 2)
	@$(if $(filter python,$(BENCH_SERVER)),,$(MAKE) -s --no-print-directory \
	  SOLUTION=$(if $(filter reference,$(BENCH_SERVER)),1,0) BUILD=$(BENCH_BUILD) \
	  programs-lab$(BENCH_PROGRAMS_LAB))
	@$(PYTHON) tests/tools/bench_echo.py --lab $(BENCH_LAB) --server $(BENCH_SERVER) \
	  --build $(BENCH_BUILD) --cc "$(CC)" $(if $(CLIENTS),--clients $(CLIENTS)) \
	  $(if $(BYTES),--bytes $(BYTES)) $(if $(SIZE),--size $(SIZE)) $(if $(TIMEOUT),--timeout $(TIMEOUT))

# make grade LAB=3, LABS=1-3 or LABS="2 5": some labs (LAB only when given on the command line).
comma := ,
space := $(subst ,, )
GRADE_LABS = $(subst $(space),$(comma),$(strip $(or $(LABS),$(if $(filter command line,$(origin LAB)),$(LAB)))))

GRADE_NOTE := make grade: each lab is built on the reference solutions of the earlier labs, so a \
  mistake costs points in its own lab only (make check builds it on yours). CUMULATIVE=1: on your own \
  earlier labs (grader/grade --cumulative).

# make trace: the current lab's scenario run under strace in a private network namespace whose
# loopback is captured, next to the reference's run (tests/tools/trace/). SCENARIO=name picks one
# scenario, TEST=suite/name traces one test of the lab's suite instead.
.PHONY: trace
trace: need-lab
	@$(MAKE) -s --no-print-directory build-lab$(LAB)
	@if [ -d solutions ]; then $(MAKE) -s --no-print-directory SOLUTION=1 build-lab$(LAB); fi
	@$(PYTHON) tests/tools/trace --lab $(LAB) --build $(BUILD) --reference build/solution --cc "$(CC)" \
	  $(if $(SCENARIO),--scenario "$(SCENARIO)") $(if $(TEST),--test "$(TEST)")

grade:
	@$(if $(wildcard solutions/lab1),echo "$(GRADE_NOTE)" >&2)
	@$(PYTHON) -m grader . $(if $(GRADE_LABS),--labs $(GRADE_LABS)) \
	  $(if $(filter 1,$(CUMULATIVE)),--cumulative) $(if $(filter 1,$(FAST)),--no-valgrind)

handin:
	@$(PYTHON) -m grader.handin --output handin.tar.gz .

# The student kit carries a manifest of the kit as shipped (make check warns about edits).
dist:
	@$(PYTHON) -m grader.runtime.kitfiles manifest --output tests/kit-manifest.sha256 && \
	  $(PYTHON) grader/dist.py --output dist/socketlab-student.tar.gz .; status=$$?; \
	  rm -f tests/kit-manifest.sha256; exit $$status

autograder-zip:
	@$(PYTHON) grader/gradescope/make_zip.py --output autograder.zip .

# clean: every build (build/ and BUILD= if elsewhere) and what dist, handin and autograder-zip write.
clean:
	rm -rf $(sort build $(BUILD) $(TEST_BUILD)) dist handin.tar.gz autograder.zip

# ---- the kit's own targets ------------------------------------------------------

criterion-present:
	@pkg-config --exists criterion 2>/dev/null || { \
	  echo "make: Criterion (the test library) is not installed. Run: make deps" >&2; exit 2; }

deps:
	@bash tests/tools/deps.sh

# make lint: shellcheck on the shell scripts, pyflakes and mypy (grader/mypy.ini) on the Python
# code, gcc -fanalyzer on the reference solutions (tests/tools/lint.py; the tools: make deps).
ANALYZER_CC ?= gcc
.PHONY: lint
lint:
	@$(PYTHON) -m tests.tools.lint --cc "$(ANALYZER_CC)" --cflags "$(STUDENT_CFLAGS) $(INCLUDES)"

test: criterion-present
	@$(PYTHON) -m grader.labs --check
	@$(PYTHON) -m tests.tools.selftest --make "$(MAKE)"
	@$(PYTHON) -m unittest discover -s tests/tools -t . -p 'test_*.py'
	@if [ -d grader/tests ]; then $(PYTHON) -m unittest discover -s grader/tests -t . ; fi
	@$(PYTHON) -m unittest discover -s tests/tools/trace -t tests/tools/trace

bench: criterion-present
	@$(PYTHON) -m tests.tools.bench --make "$(MAKE)"

bench-grader:
	@$(PYTHON) -m grader.benchmark

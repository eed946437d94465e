# Lab 10's tests put a stand-in in front of two C library calls (see
# tests/lab10/stand_in.c): the linker sends every call to getaddrinfo and
# socket, the student's and the tests' own, to __wrap_<name>, which calls the
# C library's own __real_<name> unless a test has asked for something else.
LAB10_WRAPPED := getaddrinfo socket
TEST_LDFLAGS_10 := $(foreach call,$(LAB10_WRAPPED),-Wl,--wrap=$(call))

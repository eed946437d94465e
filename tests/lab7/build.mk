# Lab 7's tests wrap send() (tests/lab7/short_writes.c) so that a test can make
# every send() on one socket move only part of what it is asked to: the short
# writes a busy network produces, on demand.
TEST_LDFLAGS_7 := -Wl,--wrap=send

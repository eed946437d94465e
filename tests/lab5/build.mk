# Lab 5's tests interpose on every call a correct send_all or recv_all could use
# to move bytes (see tests/lab5/interpose.c): the linker sends each call to
# __wrap_<name>, which may shorten it or fail it with EINTR before calling
# __real_<name>, the C library's own function.
LAB5_WRAPPED := send recv sendto recvfrom sendmsg recvmsg write read writev readv
TEST_LDFLAGS_5 := $(foreach call,$(LAB5_WRAPPED),-Wl,--wrap=$(call))

/*
 * Lab 2 tests: addr_to_string (lab2.h, handout section 4.2).
 *
 * Every address is built by the test itself (lab2_address), so these tests do
 * not depend on the student's addr_from_string.
 */
#include "lab2test.h"

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))
#define BIG 64
#define GUARD_BYTE 0x5A

struct text_case {
    uint8_t octets[4];
    uint16_t port;
    const char *text;
};

static const struct text_case text_cases[] = {
    {{127, 0, 0, 1}, 5346, "127.0.0.1:5346"},
    {{0, 0, 0, 0}, 0, "0.0.0.0:0"},
    {{255, 255, 255, 255}, 65535, "255.255.255.255:65535"},
    {{192, 168, 1, 2}, 80, "192.168.1.2:80"},
    {{10, 0, 0, 254}, 8080, "10.0.0.254:8080"},
    {{1, 2, 3, 4}, 256, "1.2.3.4:256"},
    {{100, 64, 9, 99}, 1, "100.64.9.99:1"},
};

static struct sockaddr_in address_of(const struct text_case *c)
{
    return lab2_address(c->octets[0], c->octets[1], c->octets[2], c->octets[3], c->port);
}

static const char *address_words(const struct text_case *c)
{
    return lab_fmt("%u.%u.%u.%u port %u", c->octets[0], c->octets[1], c->octets[2],
                   c->octets[3], c->port);
}

/* Calls addr_to_string(address, buf, len) and keeps errno. */
static struct lab2_outcome call_to_string(const struct sockaddr_in *address, char *buf,
                                          size_t len)
{
    errno = 0;
    int result = addr_to_string(address, buf, len);
    return (struct lab2_outcome){result, errno};
}

/* Checks the text written for one case, in a buffer of exactly `len` bytes on
 * the heap (so Valgrind sees a write past it). */
static void expect_text(const struct text_case *c, size_t len, const char *why,
                        const char *section)
{
    struct sockaddr_in address = address_of(c);
    char *buf = malloc(len);
    lab_require(buf != NULL, "malloc()");
    memset(buf, 'X', len);
    struct lab2_outcome outcome = call_to_string(&address, buf, len);
    size_t expected_length = strlen(c->text);
    bool text_ok = outcome.result == (int)expected_length &&
                   memcmp(buf, c->text, expected_length + 1) == 0;
    const char *got = lab_fmt("%s, buf holding %s", lab2_outcome_text(outcome),
                              lab_bytes_text(buf, len, BIG));
    free(buf);
    lab_expect(text_ok,
               lab_fmt("addr_to_string(address %s, buf, %zu) should write the text and its "
                       "NUL, and return the text's length%s.",
                       address_words(c), len, why),
               lab_fmt("%zu, buf holding %s", expected_length,
                       lab_bytes_text(c->text, expected_length + 1, BIG)),
               got, section);
}

/* ---- the text ---- */

LAB_TEST(addr_to_string, loopback_writes_text_returns_length)
{
    expect_text(&text_cases[0], BIG, "", "4.2");
}

LAB_TEST(addr_to_string, various_addresses_written_exactly)
{
    for (size_t i = 0; i < COUNT(text_cases); i++)
        expect_text(&text_cases[i], BIG, " (decimal numbers, no padding)", "4.2");
}

LAB_TEST(addr_to_string, reads_port_in_network_order)
{
    /* 5346 is 0x14E2: read without ntohs it would come out as 57876. */
    static const struct text_case cases[] = {
        {{127, 0, 0, 1}, 5346, "127.0.0.1:5346"},
        {{127, 0, 0, 1}, 256, "127.0.0.1:256"},
        {{127, 0, 0, 1}, 0x1234, "127.0.0.1:4660"},
    };
    for (size_t i = 0; i < COUNT(cases); i++)
        expect_text(&cases[i], BIG, " (sin_port is in network order: convert it with ntohs)",
                    "2.2");
}

LAB_TEST(addr_to_string, reads_address_in_network_order)
{
    /* Read as a host-order number without ntohl, 192.168.1.2 would come out
     * backwards on this machine. */
    static const struct text_case cases[] = {
        {{192, 168, 1, 2}, 80, "192.168.1.2:80"},
        {{10, 20, 30, 40}, 5346, "10.20.30.40:5346"},
    };
    for (size_t i = 0; i < COUNT(cases); i++)
        expect_text(&cases[i], BIG,
                    " (sin_addr is in network order: the first byte in memory is A)", "2.2");
}

/* ---- the size of the buffer ---- */

LAB_TEST(addr_to_string, exact_fit_succeeds)
{
    for (size_t i = 0; i < COUNT(text_cases); i++)
        expect_text(&text_cases[i], strlen(text_cases[i].text) + 1,
                    " (len is exactly the text's length + 1: it just fits)", "4.2");
}

/* Checks that len bytes are too few for the case's text. */
static void expect_enospc(const struct text_case *c, size_t len, const char *why)
{
    struct sockaddr_in address = address_of(c);
    char buf[BIG];
    memset(buf, 'X', sizeof buf);
    struct lab2_outcome outcome = call_to_string(&address, buf, len);
    lab_expect_failure(outcome.result, outcome.err, ENOSPC,
                       lab_fmt("addr_to_string(address %s, buf, %zu) should fail: \"%s\" and "
                               "its NUL need %zu bytes%s.",
                               address_words(c), len, c->text, strlen(c->text) + 1, why),
                       "4.2");
}

LAB_TEST(addr_to_string, one_byte_short_fails_with_enospc)
{
    for (size_t i = 0; i < COUNT(text_cases); i++)
        expect_enospc(&text_cases[i], strlen(text_cases[i].text),
                      " (len is the text's length: no room left for the NUL)");
}

LAB_TEST(addr_to_string, short_buffers_fail_with_enospc)
{
    for (size_t i = 0; i < COUNT(text_cases); i++)
        for (size_t len = 0; len < strlen(text_cases[i].text); len++)
            expect_enospc(&text_cases[i], len, "");
}

LAB_TEST(addr_to_string, never_writes_past_len)
{
    for (size_t i = 0; i < COUNT(text_cases); i++) {
        const struct text_case *c = &text_cases[i];
        struct sockaddr_in address = address_of(c);
        size_t needed = strlen(c->text) + 1;
        for (size_t len = 0; len <= needed; len++) {
            char buf[BIG];
            memset(buf, GUARD_BYTE, sizeof buf);
            lab_call_watch(buf, sizeof buf); /* the bytes past len come back too */
            struct lab2_outcome outcome = call_to_string(&address, buf, len);
            size_t first_written = len;
            while (first_written < sizeof buf && (unsigned char)buf[first_written] == GUARD_BYTE)
                first_written++;
            lab_expect(first_written == sizeof buf,
                       lab_fmt("addr_to_string(address %s, buf, %zu) may use only the first "
                               "%zu bytes of buf, whatever it returns.",
                               address_words(c), len, len),
                       lab_fmt("buf[%zu] and after untouched", len),
                       lab_fmt("buf[%zu] was written (%s returned)", first_written,
                               lab2_outcome_text(outcome)),
                       "4.2");
            if (len == needed)
                lab_expect(outcome.result == (int)needed - 1,
                           lab_fmt("addr_to_string(address %s, buf, %zu): the text and its NUL "
                                   "fit exactly, so the call should succeed.",
                                   address_words(c), len),
                           lab_fmt("%zu", needed - 1), lab2_outcome_text(outcome), "4.2");
        }
    }
}

/* ---- invalid arguments ---- */

LAB_TEST(addr_to_string, null_addr_fails_with_einval)
{
    char buf[BIG];
    struct lab2_outcome outcome = call_to_string(NULL, buf, sizeof buf);
    lab_expect_failure(outcome.result, outcome.err, EINVAL,
                       lab_fmt("addr_to_string(NULL, buf, %d) should fail: addr is NULL.", BIG),
                       "4.2");
}

LAB_TEST(addr_to_string, null_buf_fails_with_einval)
{
    struct sockaddr_in address = lab2_address(127, 0, 0, 1, 5346);
    struct lab2_outcome outcome = call_to_string(&address, NULL, BIG);
    lab_expect_failure(outcome.result, outcome.err, EINVAL,
                       lab_fmt("addr_to_string(&address, NULL, %d) should fail: buf is NULL.", BIG),
                       "4.2");
}

LAB_TEST(addr_to_string, non_inet_family_fails_with_einval)
{
    static const int families[] = {AF_INET6, AF_UNSPEC, AF_UNIX};
    for (size_t i = 0; i < COUNT(families); i++) {
        struct sockaddr_in address = lab2_address(127, 0, 0, 1, 5346);
        address.sin_family = (sa_family_t)families[i];
        char buf[BIG];
        struct lab2_outcome outcome = call_to_string(&address, buf, sizeof buf);
        lab_expect_failure(outcome.result, outcome.err, EINVAL,
                           lab_fmt("addr_to_string() on an address whose sin_family is %s "
                                   "should fail: only AF_INET addresses are written.",
                                   lab_family_text(families[i])),
                           "4.2");
    }
}

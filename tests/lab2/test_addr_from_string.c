/*
 * Lab 2 tests: addr_from_string (lab2.h, handout section 4.1).
 *
 * The expected struct is built by the test byte by byte, and *out is filled
 * with 0xAA before every call, so both "every byte written" and "unchanged
 * on failure" can be checked with a plain comparison of all its bytes.
 */
#include "lab2test.h"

#define FILL_BYTE 0xAA

struct valid_quad {
    const char *text;
    uint8_t octets[4];
};

static const struct valid_quad valid_quads[] = {
    {"127.0.0.1", {127, 0, 0, 1}},
    {"0.0.0.0", {0, 0, 0, 0}},
    {"255.255.255.255", {255, 255, 255, 255}},
    {"192.168.1.2", {192, 168, 1, 2}},
    {"10.0.0.254", {10, 0, 0, 254}},
    {"1.2.3.4", {1, 2, 3, 4}},
    {"8.8.4.4", {8, 8, 4, 4}},
    {"100.64.200.9", {100, 64, 200, 9}},
    {"9.99.199.249", {9, 99, 199, 249}},
};

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* Calls addr_from_string on an exact-size copy of ip, with *out pre-filled
 * with FILL_BYTE (out_is_null: pass NULL instead). */
static struct lab2_outcome call_from_string(const char *ip, uint16_t port,
                                            struct sockaddr_in *out, bool out_is_null)
{
    char *copy = lab2_heap_copy(ip);
    memset(out, FILL_BYTE, sizeof *out);
    errno = 0;
    int result = addr_from_string(copy, port, out_is_null ? NULL : out);
    struct lab2_outcome outcome = {result, errno};
    free(copy);
    return outcome;
}

static const char *call_text(const char *ip, uint16_t port)
{
    return lab_fmt("addr_from_string(%s, %u, &out)", lab2_quote(ip), port);
}

/* Checks that a valid ip is accepted. Returns what was stored. */
static struct sockaddr_in expect_accepted(const char *ip, uint16_t port, const char *section)
{
    struct sockaddr_in out;
    struct lab2_outcome outcome = call_from_string(ip, port, &out, false);
    lab_expect(outcome.result == 0,
               lab_fmt("%s: the ip is a valid dotted quad, so the call should succeed.",
                       call_text(ip, port)),
               "0", lab2_outcome_text(outcome), section);
    return out;
}

/* ---- what a successful call stores ---- */

LAB_TEST(addr_from_string, valid_quads_succeed)
{
    for (size_t i = 0; i < COUNT(valid_quads); i++)
        expect_accepted(valid_quads[i].text, 5346, "4.1");
}

LAB_TEST(addr_from_string, sets_family_af_inet)
{
    struct sockaddr_in out = expect_accepted("127.0.0.1", 5346, "4.1");
    lab_expect(out.sin_family == AF_INET,
               "addr_from_string(\"127.0.0.1\", 5346, &out) should set out.sin_family.",
               "AF_INET", lab_family_text(out.sin_family), "2.3");
}

LAB_TEST(addr_from_string, stores_address_in_network_order)
{
    for (size_t i = 0; i < COUNT(valid_quads); i++) {
        const struct valid_quad *quad = &valid_quads[i];
        struct sockaddr_in out = expect_accepted(quad->text, 5346, "4.1");
        const uint8_t *stored = (const uint8_t *)&out.sin_addr.s_addr;
        lab_expect(memcmp(stored, quad->octets, 4) == 0,
                   lab_fmt("%s should store the four numbers in sin_addr in network order "
                           "(the first number in the first byte in memory).",
                           call_text(quad->text, 5346)),
                   lab_fmt("sin_addr bytes %u.%u.%u.%u", quad->octets[0], quad->octets[1],
                           quad->octets[2], quad->octets[3]),
                   lab_fmt("sin_addr bytes %u.%u.%u.%u", stored[0], stored[1], stored[2],
                           stored[3]),
                   "2.2");
    }
}

LAB_TEST(addr_from_string, stores_port_in_network_order)
{
    static const uint16_t ports[] = {5346, 80, 256, 1, 8080, 65535, 0, 0x1234};
    for (size_t i = 0; i < COUNT(ports); i++) {
        struct sockaddr_in out = expect_accepted("127.0.0.1", ports[i], "4.1");
        uint16_t expected = htons(ports[i]);
        const uint8_t *want = (const uint8_t *)&expected;
        const uint8_t *got = (const uint8_t *)&out.sin_port;
        lab_expect(out.sin_port == expected,
                   lab_fmt("%s should store the port in sin_port in network order "
                           "(htons: most significant byte first).",
                           call_text("127.0.0.1", ports[i])),
                   lab_fmt("sin_port bytes %02x %02x", want[0], want[1]),
                   lab_fmt("sin_port bytes %02x %02x (ntohs of it: %u)", got[0], got[1],
                           ntohs(out.sin_port)),
                   "2.2");
    }
}

LAB_TEST(addr_from_string, fills_every_byte_sin_zero_included)
{
    static const struct {
        const char *text;
        uint8_t octets[4];
        uint16_t port;
    } cases[] = {
        {"127.0.0.1", {127, 0, 0, 1}, 5346},
        {"0.0.0.0", {0, 0, 0, 0}, 0},
        {"192.168.1.2", {192, 168, 1, 2}, 65535},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct sockaddr_in want = lab2_address(cases[i].octets[0], cases[i].octets[1],
                                               cases[i].octets[2], cases[i].octets[3],
                                               cases[i].port);
        struct sockaddr_in out = expect_accepted(cases[i].text, cases[i].port, "4.1");
        lab_expect(memcmp(&out, &want, sizeof want) == 0,
                   lab_fmt("%s was called with every byte of out set to 0x%02X; it should "
                           "write all %zu bytes (zero the struct first: sin_zero too).",
                           call_text(cases[i].text, cases[i].port), FILL_BYTE, sizeof want),
                   lab2_sockaddr_text(&want), lab2_sockaddr_text(&out), "2.3");
    }
}

/* ---- what is rejected ---- */

/* Checks that every ip in the list is rejected with EINVAL. */
static void expect_all_rejected(const char *const *ips, size_t count, const char *why)
{
    for (size_t i = 0; i < count; i++) {
        struct sockaddr_in out;
        struct lab2_outcome outcome = call_from_string(ips[i], 5346, &out, false);
        lab_expect_failure(outcome.result, outcome.err, EINVAL,
                           lab_fmt("%s should fail: %s.", call_text(ips[i], 5346), why),
                           "4.1");
    }
}

LAB_TEST(addr_from_string, number_above_255_fails_with_einval)
{
    static const char *const ips[] = {
        "256.1.1.1", "1.256.1.1", "1.1.256.1", "1.1.1.256", "260.0.0.1", "1.2.3.999",
        "1.2.3.1000", "300.300.300.300", "1.2.3.4294967300", "1.2.3.18446744073709551620",
    };
    expect_all_rejected(ips, COUNT(ips), "each number of a dotted quad is at most 255");
}

LAB_TEST(addr_from_string, wrong_number_of_parts_fails_with_einval)
{
    static const char *const ips[] = {
        "1.2.3", "1.2.3.4.5", "1", "1.2", "127.1", "1.2.3.4.", ".1.2.3.4", "1.2.3.",
        "1..2.3", "1.2..3", "1.2.3..4", "...", "....",
    };
    expect_all_rejected(ips, COUNT(ips),
                        "a dotted quad is exactly four numbers separated by single dots");
}

LAB_TEST(addr_from_string, non_digits_fail_with_einval)
{
    static const char *const ips[] = {
        "localhost", "a.b.c.d",    "1.2.3.4x",   "x1.2.3.4",   "1.2.3.x",
        "0x7f.0.0.1", "1.2.3.-4",  "-1.2.3.4",   "+1.2.3.4",   "1.+2.3.4",
        "1,2,3,4",   "1.2.3.4/24", "1.2.3.4:80", "1.2.3.4\x01", "1.2.3.4e0",
    };
    expect_all_rejected(ips, COUNT(ips),
                        "a dotted quad holds only decimal digits and dots (no letters, signs "
                        "or other characters)");
}

LAB_TEST(addr_from_string, spaces_fail_with_einval)
{
    static const char *const ips[] = {
        " 1.2.3.4", "1.2.3.4 ", "1. 2.3.4", "1 .2.3.4", "1.2.3. 4", "1.2.3.4\n", "\t1.2.3.4",
        "1.2.3.4\t",
    };
    expect_all_rejected(ips, COUNT(ips), "a dotted quad has no spaces, before, inside or after");
}

LAB_TEST(addr_from_string, empty_string_fails_with_einval)
{
    static const char *const ips[] = {""};
    expect_all_rejected(ips, COUNT(ips), "the empty string is not an address");
}

LAB_TEST(addr_from_string, null_ip_fails_with_einval)
{
    struct sockaddr_in out;
    struct lab2_outcome outcome = call_from_string(NULL, 5346, &out, false);
    lab_expect_failure(outcome.result, outcome.err, EINVAL,
                       "addr_from_string(NULL, 5346, &out) should fail: ip is NULL.", "4.1");
}

LAB_TEST(addr_from_string, null_out_fails_with_einval)
{
    struct sockaddr_in unused;
    struct lab2_outcome outcome = call_from_string("127.0.0.1", 5346, &unused, true);
    lab_expect_failure(outcome.result, outcome.err, EINVAL,
                       "addr_from_string(\"127.0.0.1\", 5346, NULL) should fail: out is NULL.",
                       "4.1");
}

/* ---- on failure, *out is unchanged ---- */

LAB_TEST(addr_from_string, failure_leaves_out_unchanged)
{
    /* Invalid texts whose first parts are valid: an implementation that
     * writes into *out as it parses gets caught here. NULL ip is one too. */
    static const char *const ips[] = {
        "1.2.3.256", "1.2.3.4x", "1.2.3.4 ", "1.2.3", "1.2.3.4.5", "127.0.0.1:80",
        "192.168.1.", "localhost", "", NULL,
    };
    struct sockaddr_in untouched;
    memset(&untouched, FILL_BYTE, sizeof untouched);
    for (size_t i = 0; i < COUNT(ips); i++) {
        struct sockaddr_in out;
        struct lab2_outcome outcome = call_from_string(ips[i], 5346, &out, false);
        lab_expect(outcome.result == -1 && outcome.err == EINVAL &&
                       memcmp(&out, &untouched, sizeof out) == 0,
                   lab_fmt("%s should fail with EINVAL and leave every byte of out as it was "
                           "(0x%02X).",
                           call_text(ips[i], 5346), FILL_BYTE),
                   lab_fmt("-1 with errno EINVAL, and every byte of out still 0x%02X",
                           FILL_BYTE),
                   lab_fmt("%s; out: %s", lab2_outcome_text(outcome), lab2_sockaddr_text(&out)),
                   "4.1");
    }
}

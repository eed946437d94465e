/*
 * Lab 2 tests: parse_port (lab2.h, handout section 4.3).
 *
 * *port is set to SENTINEL before every call: a value no input below
 * produces, so "unchanged on failure" is a plain comparison.
 */
#include "lab2test.h"

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))
#define SENTINEL 0xBEEF

/* Calls parse_port on an exact-size copy of text, with *port set to SENTINEL
 * (port_is_null: pass NULL instead). */
static struct lab2_outcome call_parse(const char *text, uint16_t *port, bool port_is_null)
{
    char *copy = lab2_heap_copy(text);
    *port = SENTINEL;
    errno = 0;
    int result = parse_port(copy, port_is_null ? NULL : port);
    struct lab2_outcome outcome = {result, errno};
    free(copy);
    return outcome;
}

struct valid_port {
    const char *text;
    uint16_t value;
};

/* Checks that every text is accepted and stores its value. */
static void expect_all_parsed(const struct valid_port *cases, size_t count, const char *why)
{
    for (size_t i = 0; i < count; i++) {
        uint16_t port;
        struct lab2_outcome outcome = call_parse(cases[i].text, &port, false);
        lab_expect(outcome.result == 0 && port == cases[i].value,
                   lab_fmt("parse_port(%s, &port) should return 0 and store %u%s.",
                           lab2_quote(cases[i].text), cases[i].value, why),
                   lab_fmt("0, port %u", cases[i].value),
                   lab_fmt("%s, port %u", lab2_outcome_text(outcome), port), "4.3");
    }
}

/* Checks that every text is rejected with expected_errno. */
static void expect_all_rejected(const char *const *texts, size_t count, int expected_errno,
                                const char *why)
{
    for (size_t i = 0; i < count; i++) {
        uint16_t port;
        struct lab2_outcome outcome = call_parse(texts[i], &port, false);
        lab_expect_failure(outcome.result, outcome.err, expected_errno,
                           lab_fmt("parse_port(%s, &port) should fail: %s.",
                                   lab2_quote(texts[i]), why),
                           "4.3");
    }
}

/* ---- accepted ---- */

LAB_TEST(parse_port, valid_numbers_stored)
{
    static const struct valid_port cases[] = {
        {"0", 0},       {"1", 1},         {"80", 80},       {"443", 443},
        {"5346", 5346}, {"8080", 8080},   {"65534", 65534}, {"65535", 65535},
        {"4660", 4660}, {"12345", 12345},
    };
    expect_all_parsed(cases, COUNT(cases), "");
}

LAB_TEST(parse_port, leading_zeros_allowed)
{
    static const struct valid_port cases[] = {
        {"08080", 8080},
        {"00", 0},
        {"0000080", 80},
        {"065535", 65535},
        {"00000000000000000000000000000000000000005346", 5346},
    };
    expect_all_parsed(cases, COUNT(cases), " (leading zeros do not change the value)");
}

/* ---- malformed: EINVAL ---- */

LAB_TEST(parse_port, empty_fails_with_einval)
{
    static const char *const texts[] = {""};
    expect_all_rejected(texts, COUNT(texts), EINVAL, "a port has at least one digit");
}

LAB_TEST(parse_port, trailing_junk_fails_with_einval)
{
    static const char *const texts[] = {
        "80x", "80 ", "80\n", "8 0", "80.0", "80:", "5346abc", "99999x", "65536 ",
    };
    expect_all_rejected(texts, COUNT(texts), EINVAL,
                        "only digits may follow the first digit, up to the end of the text");
}

LAB_TEST(parse_port, sign_fails_with_einval)
{
    static const char *const texts[] = {"-1", "+80", "-0", "+0", "-65535", "-99999999999999999999"};
    expect_all_rejected(texts, COUNT(texts), EINVAL, "a port has no sign");
}

LAB_TEST(parse_port, leading_space_fails_with_einval)
{
    static const char *const texts[] = {" 80", "\t80", "\n80", "  5346", " +80", " -1"};
    expect_all_rejected(texts, COUNT(texts), EINVAL, "nothing may come before the digits");
}

LAB_TEST(parse_port, non_digits_fail_with_einval)
{
    static const char *const texts[] = {"x80", "0x50", "abc", "http", "1e3", " ", "."};
    expect_all_rejected(texts, COUNT(texts), EINVAL, "a port is written in decimal digits only");
}

LAB_TEST(parse_port, null_text_fails_with_einval)
{
    uint16_t port;
    struct lab2_outcome outcome = call_parse(NULL, &port, false);
    lab_expect_failure(outcome.result, outcome.err, EINVAL,
                       "parse_port(NULL, &port) should fail: text is NULL.", "4.3");
}

LAB_TEST(parse_port, null_port_fails_with_einval)
{
    uint16_t unused;
    struct lab2_outcome outcome = call_parse("80", &unused, true);
    lab_expect_failure(outcome.result, outcome.err, EINVAL,
                       "parse_port(\"80\", NULL) should fail: port is NULL.", "4.3");
}

/* ---- well formed but too big: ERANGE ---- */

LAB_TEST(parse_port, above_65535_fails_with_erange)
{
    static const char *const texts[] = {"65536", "65537", "70000", "99999", "100000", "0065536"};
    expect_all_rejected(texts, COUNT(texts), ERANGE, "ports go up to 65535");
}

LAB_TEST(parse_port, huge_number_fails_with_erange)
{
    /* Each of these wraps round to a valid port in some integer type:
     * 65616 = 2^16 + 80, 4294967376 = 2^32 + 80, 18446744073709551696 = 2^64 + 80;
     * the longest ones do not fit in any integer type at all. */
    static const char *const texts[] = {
        "65616",
        "4294967376",
        "18446744073709551696",
        "99999999999999999999",
        "18446744073709551616",
        "340282366920938463463374607431768211536",
        "100000000000000000000000000000000000000000000000000000000000000000000000000080",
    };
    expect_all_rejected(texts, COUNT(texts), ERANGE,
                        "the number is well formed but above 65535, however many digits it has");
}

/* ---- on failure, *port is unchanged ---- */

LAB_TEST(parse_port, failure_leaves_port_unchanged)
{
    static const struct {
        const char *text;
        int errno_value;
    } cases[] = {
        {"80x", EINVAL},   {"80 ", EINVAL},   {"1.5", EINVAL},      {"", EINVAL},
        {"-1", EINVAL},    {"65536", ERANGE}, {"99999999999999999999", ERANGE},
        {"65616", ERANGE}, {NULL, EINVAL},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        uint16_t port;
        struct lab2_outcome outcome = call_parse(cases[i].text, &port, false);
        lab_expect(outcome.result == -1 && outcome.err == cases[i].errno_value &&
                       port == SENTINEL,
                   lab_fmt("parse_port(%s, &port) should fail and leave port as it was (%u).",
                           lab2_quote(cases[i].text), SENTINEL),
                   lab_fmt("-1 with errno %s, port %u", lab_errno_text(cases[i].errno_value),
                           SENTINEL),
                   lab_fmt("%s, port %u", lab2_outcome_text(outcome), port), "4.3");
    }
}

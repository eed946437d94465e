/*
 * Lab 10 tests: sockaddr_to_string (lab10.h, handout 4.3).
 *
 * Every address is built by the test (inet_pton), and every buffer has a
 * guard zone after the size it announces, watched (lab_call_watch) so that
 * its bytes come back from the call's child: a byte written past `size` is
 * seen, whatever the text.
 */
#include "labtest.h"

#include "lab10.h"
#include "net.h"

#include <arpa/inet.h>
#include <sys/un.h>

#define GUARD 16
#define GUARD_BYTE 0x5a

/* An address of the test's own, with the len a caller would pass. */
struct sample {
    struct sockaddr_storage addr;
    socklen_t len;
};

static struct sample sample_of(const char *ip, uint16_t port)
{
    struct endpoint endpoint = endpoint_of(ip, port);
    struct sample sample = {.addr = endpoint.addr, .len = endpoint.len};
    return sample;
}

static const char *sample_text(const struct sample *sample)
{
    struct endpoint endpoint = {.addr = sample->addr, .len = sample->len};
    return lab_fmt("%s (%s, len %u)", endpoint_text(&endpoint),
                   lab_family_text(sample->addr.ss_family), (unsigned)sample->len);
}

/* The call, with `size` announced and GUARD bytes after it. */
struct written {
    int result;
    int err;
    char text[128 + GUARD];
    bool guard_intact;
};

/* The buffer every call writes into: static, so that the region watched stays
 * valid for the whole test. */
static char guarded_text[128 + GUARD];

static struct written write_sample(const struct sample *sample, size_t size)
{
    struct written out;
    memset(guarded_text, GUARD_BYTE, sizeof guarded_text);
    lab_call_watch(guarded_text, sizeof guarded_text);
    errno = 0;
    out.result = sockaddr_to_string((const struct sockaddr *)&sample->addr, sample->len,
                                    guarded_text, size);
    out.err = errno;
    memcpy(out.text, guarded_text, sizeof out.text);
    out.guard_intact = true;
    for (size_t i = size; i < size + GUARD; i++)
        out.guard_intact = out.guard_intact && (unsigned char)out.text[i] == GUARD_BYTE;
    return out;
}

static void expect_text(const struct sample *sample, const char *expected, const char *why,
                        const char *section)
{
    struct written out = write_sample(sample, 64);
    bool right = out.result == (int)strlen(expected) && strcmp(out.text, expected) == 0;
    lab_expect(right,
               lab_fmt("sockaddr_to_string(%s, buf, 64) should write \"%s\": %s.",
                       sample_text(sample), expected, why),
               lab_fmt("%zu, and buf holds \"%s\"", strlen(expected), expected),
               out.result >= 0 ? lab_fmt("%d, and buf holds %s", out.result,
                                         lab_bytes_text(out.text, strnlen(out.text, 64), 64))
                               : lab_result_text(out.result, out.err),
               section);
}

/* ---- the text ---- */

LAB_TEST(sockaddr_to_string, ipv4_written_with_port)
{
    struct sample sample = sample_of("127.0.0.1", 5346);
    expect_text(&sample, "127.0.0.1:5346", "IP:PORT, as lab 2's addr_to_string", "2.2");
}

LAB_TEST(sockaddr_to_string, ipv6_loopback_in_brackets)
{
    struct sample sample = sample_of("::1", 5346);
    expect_text(&sample, "[::1]:5346",
                "an IPv6 address has colons of its own, so it goes in brackets before "
                ":PORT, as in URLs",
                "2.2");
}

LAB_TEST(sockaddr_to_string, ipv4_mapped_address_in_brackets)
{
    struct sample sample = sample_of("::ffff:127.0.0.1", 40112);
    expect_text(&sample, "[::ffff:127.0.0.1]:40112",
                "an IPv4 client of a dual-stack socket is an IPv6 address (AF_INET6): written "
                "as inet_ntop writes it, in brackets",
                "2.4");
}

LAB_TEST(sockaddr_to_string, long_ipv6_and_highest_port)
{
    struct sample sample = sample_of("2001:db8:85a3::8a2e:370:7334", 65535);
    expect_text(&sample, "[2001:db8:85a3::8a2e:370:7334]:65535",
                "inet_ntop's text (the longest run of zero groups becomes ::) and the port "
                "in decimal, from network order (ntohs)",
                "2.2");
}

LAB_TEST(sockaddr_to_string, port_zero_written)
{
    struct sample sample = sample_of("0.0.0.0", 0);
    expect_text(&sample, "0.0.0.0:0", "port 0 is written as 0", "2.2");
}

LAB_TEST(sockaddr_to_string, scope_id_left_out)
{
    struct sample sample = sample_of("fe80::1", 80);
    ((struct sockaddr_in6 *)&sample.addr)->sin6_scope_id = 1;
    expect_text(&sample, "[fe80::1]:80",
                "the contract writes no scope id (no %1 or %lo), even when sin6_scope_id is "
                "set",
                "2.2");
}

LAB_TEST(sockaddr_to_string, storage_length_accepted)
{
    struct sample sample = sample_of("::1", 80);
    sample.len = sizeof(struct sockaddr_storage);
    expect_text(&sample, "[::1]:80",
                "a len larger than the family's structure is fine (a struct "
                "sockaddr_storage, as accept fills it)",
                "4.3");
}

/* ---- the room in buf ---- */

LAB_TEST(sockaddr_to_string, exact_room_succeeds)
{
    struct sample sample = sample_of("::1", 5346);
    struct written out = write_sample(&sample, sizeof "[::1]:5346");
    lab_expect(out.result == 10 && strcmp(out.text, "[::1]:5346") == 0 && out.guard_intact,
               lab_fmt("sockaddr_to_string(%s, buf, 11): the 10 characters and their NUL fit "
                       "in 11 bytes exactly.",
                       sample_text(&sample)),
               "10, and buf holds \"[::1]:5346\", nothing written past 11 bytes",
               out.result >= 0 ? lab_fmt("%d, buf holds %s%s", out.result,
                                         lab_bytes_text(out.text, 11, 11),
                                         out.guard_intact ? "" : ", bytes written past 11")
                               : lab_result_text(out.result, out.err),
               "4.3");
}

LAB_TEST(sockaddr_to_string, one_byte_short_fails_with_enospc)
{
    struct sample sample = sample_of("::1", 5346);
    struct written out = write_sample(&sample, 10);
    lab_expect(out.result == -1 && out.err == ENOSPC && out.guard_intact,
               lab_fmt("sockaddr_to_string(%s, buf, 10): \"[::1]:5346\" and its NUL need 11 "
                       "bytes, one more than given.",
                       sample_text(&sample)),
               "-1 with errno ENOSPC, nothing written past 10 bytes",
               lab_fmt("%s%s", lab_result_text(out.result, out.err),
                       out.guard_intact ? "" : ", and bytes written past the 10"),
               "4.3");
}

LAB_TEST(sockaddr_to_string, zero_size_fails_with_enospc)
{
    struct sample sample = sample_of("127.0.0.1", 80);
    struct written out = write_sample(&sample, 0);
    lab_expect(out.result == -1 && out.err == ENOSPC && out.guard_intact,
               lab_fmt("sockaddr_to_string(%s, buf, 0): no room even for the NUL.",
                       sample_text(&sample)),
               "-1 with errno ENOSPC, nothing written",
               lab_fmt("%s%s", lab_result_text(out.result, out.err),
                       out.guard_intact ? "" : ", and bytes written"),
               "4.3");
}

/* ---- bad arguments ---- */

static void expect_rejected(const struct sample *sample, const struct sockaddr *addr,
                            bool null_buf, int expected_errno, const char *why)
{
    char buf[64];
    errno = 0;
    int result = sockaddr_to_string(addr, sample->len, null_buf ? NULL : buf, sizeof buf);
    int err = errno;
    lab_expect_failure(result, err, expected_errno,
                       lab_fmt("sockaddr_to_string(%s, len %u, %s, 64) should fail: %s.",
                               addr ? lab_family_text(sample->addr.ss_family) : "NULL",
                               (unsigned)sample->len, null_buf ? "NULL" : "buf", why),
                       "4.3");
}

LAB_TEST(sockaddr_to_string, null_address_fails_with_einval)
{
    struct sample sample = sample_of("127.0.0.1", 80);
    expect_rejected(&sample, NULL, false, EINVAL, "there is no address");
}

LAB_TEST(sockaddr_to_string, null_buffer_fails_with_einval)
{
    struct sample sample = sample_of("127.0.0.1", 80);
    expect_rejected(&sample, (struct sockaddr *)&sample.addr, true, EINVAL,
                    "there is nowhere to write");
}

LAB_TEST(sockaddr_to_string, short_ipv4_length_fails_with_einval)
{
    struct sample sample = sample_of("127.0.0.1", 80);
    sample.len = sizeof(struct sockaddr_in) - 1;
    expect_rejected(&sample, (struct sockaddr *)&sample.addr, false, EINVAL,
                    "len is below sizeof (struct sockaddr_in)");
}

LAB_TEST(sockaddr_to_string, short_ipv6_length_fails_with_einval)
{
    struct sample sample = sample_of("::1", 80);
    sample.len = sizeof(struct sockaddr_in); /* an IPv4 size for an IPv6 address */
    expect_rejected(&sample, (struct sockaddr *)&sample.addr, false, EINVAL,
                    "len is below sizeof (struct sockaddr_in6): the address is cut");
}

LAB_TEST(sockaddr_to_string, unix_family_fails_with_eafnosupport)
{
    struct sample sample;
    memset(&sample, 0, sizeof sample);
    struct sockaddr_un *un = (struct sockaddr_un *)&sample.addr;
    un->sun_family = AF_UNIX;
    strcpy(un->sun_path, "/tmp/socketlab");
    sample.len = sizeof *un;
    expect_rejected(&sample, (struct sockaddr *)&sample.addr, false, EAFNOSUPPORT,
                    "AF_UNIX is neither AF_INET nor AF_INET6");
}

LAB_TEST(sockaddr_to_string, unspecified_family_fails_with_eafnosupport)
{
    struct sample sample;
    memset(&sample, 0, sizeof sample);
    sample.len = sizeof(struct sockaddr_in6);
    expect_rejected(&sample, (struct sockaddr *)&sample.addr, false, EAFNOSUPPORT,
                    "AF_UNSPEC (0, an address never filled) is neither AF_INET nor AF_INET6");
}

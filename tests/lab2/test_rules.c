/*
 * Lab 2 tests: the rules every function follows (lab2.h, handout section 5.1),
 * and the three functions working together.
 */
#include "lab2test.h"

LAB_TEST(rules, functions_print_nothing)
{
    struct sockaddr_in address;
    char text[64];
    uint16_t port = 0;

    lab_capture_begin();
    int parsed = parse_port("5346", &port);
    int filled = addr_from_string("127.0.0.1", port, &address);
    int written = addr_to_string(&address, text, sizeof text);
    parse_port("80x", &port);
    parse_port("65536", &port);
    addr_from_string("localhost", 80, &address);
    addr_to_string(&address, text, 3);
    addr_to_string(NULL, text, sizeof text);
    const char *printed = lab_capture_end();

    lab_expect(parsed == 0 && filled == 0 && written > 0 && printed[0] == '\0',
               "Lab functions never print, on success or failure (the caller decides what to "
               "say).",
               "three successful calls and nothing printed",
               lab_fmt("parse_port %d, addr_from_string %d, addr_to_string %d; printed %s",
                       parsed, filled, written, printed[0] ? printed : "nothing"),
               "5.1");
}

LAB_TEST(rules, parse_build_and_print_round_trip)
{
    /* What a program does with its command line: "HOST" and "PORT" in,
     * "HOST:PORT" back out. */
    static const struct {
        const char *host;
        const char *port;
        const char *text;
    } cases[] = {
        {"127.0.0.1", "5346", "127.0.0.1:5346"},
        {"192.168.1.2", "08080", "192.168.1.2:8080"},
        {"255.255.255.255", "65535", "255.255.255.255:65535"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint16_t port = 0;
        struct sockaddr_in address;
        char text[64] = "";
        int parsed = parse_port(cases[i].port, &port);
        int filled = parsed == 0 ? addr_from_string(cases[i].host, port, &address) : -1;
        int written = filled == 0 ? addr_to_string(&address, text, sizeof text) : -1;
        lab_expect(written == (int)strlen(cases[i].text) && strcmp(text, cases[i].text) == 0,
                   lab_fmt("parse_port(\"%s\"), then addr_from_string(\"%s\"), then "
                           "addr_to_string() should give back the address as text.",
                           cases[i].port, cases[i].host),
                   lab_fmt("0, 0, %zu and \"%s\"", strlen(cases[i].text), cases[i].text),
                   lab_fmt("%d, %d, %d and %s", parsed, filled, written,
                           lab_bytes_text(text, strnlen(text, sizeof text), 64)),
                   "4.2");
    }
}

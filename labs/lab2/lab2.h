/*
 * lab2.h - Lab 2: addresses and ports.
 *
 * This header is the contract of the lab: the tests check exactly what is
 * written here, nothing more. Do not edit it; write your code in address.c.
 * Handout: handouts/en/lab2.md (en español: handouts/es/lab2.md).
 *
 * Rules for every function of every lab:
 *   - failure is -1 with errno set (the errno named below, where one is named);
 *   - no descriptor and no memory is leaked, on success or on failure;
 *   - nothing is printed, the process never exits, and no process-wide state
 *     (signal dispositions, limits, the working directory) is changed.
 *
 * Addresses are IPv4 only. Ports are host-order uint16_t in every function's
 * arguments and results; they are in network order only inside a
 * struct sockaddr_in (its sin_port field).
 */
#ifndef LAB2_H
#define LAB2_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/*
 * addr_from_string - build an IPv4 socket address from text and a port.
 *
 * ip:   a dotted quad: exactly four decimal numbers, each 0-255, separated by
 *       single dots, and nothing else ("127.0.0.1", "0.0.0.0",
 *       "255.255.255.255"). Anything else is rejected: "256.1.1.1", "1.2.3",
 *       "localhost", "", " 1.2.3.4", "1.2.3.4 ". (A number written with a
 *       leading zero, such as "01.2.3.4", may be accepted or rejected: the
 *       contract leaves it open, and no test asks.)
 * port: the port, in host order.
 * out:  where to store the address.
 *
 * On success every byte of *out is written: it is zeroed first (sin_zero
 * included), then sin_family is AF_INET, sin_addr holds ip and sin_port holds
 * port, both in network order.
 *
 * Returns 0, or -1 with errno EINVAL when ip or out is NULL or ip is not a
 * dotted quad as above. On failure *out is unchanged (not a single byte of it
 * is written).
 * Handout section 4.1.
 */
int addr_from_string(const char *ip, uint16_t port, struct sockaddr_in *out);

/*
 * addr_to_string - write an IPv4 socket address as text.
 *
 * addr: the address (sin_addr and sin_port in network order, as always
 *       inside a struct sockaddr_in).
 * buf:  where to write the text.
 * len:  the size of buf in bytes.
 *
 * Writes "A.B.C.D:PORT" (decimal numbers, no padding, no spaces:
 * "127.0.0.1:5346") followed by a terminating NUL into buf.
 *
 * Returns the number of characters written, not counting the NUL (14 for
 * "127.0.0.1:5346"). Returns -1 with errno:
 *   ENOSPC when the text and its NUL do not fit in len bytes (len must be at
 *          least the text's length + 1); nothing is ever written past the
 *          first len bytes of buf, and after ENOSPC those len bytes hold
 *          unspecified contents;
 *   EINVAL when addr or buf is NULL, or addr->sin_family is not AF_INET.
 * Handout section 4.2.
 */
int addr_to_string(const struct sockaddr_in *addr, char *buf, size_t len);

/*
 * parse_port - read a port number from text.
 *
 * text: one or more ASCII decimal digits and nothing else (no sign, no
 *       spaces, before or after), with a value from 0 to 65535. Leading zeros
 *       are allowed: "08080" is 8080.
 * port: where to store the value (host order).
 *
 * Returns 0 and stores the value in *port, or -1 with errno:
 *   EINVAL when text or port is NULL, or text is malformed ("", "80x", "-1",
 *          "+80", " 80", "80 ");
 *   ERANGE when text is well formed (digits only) but its value is above
 *          65535 ("65536", "99999999999999999999", however many digits).
 * On failure *port is unchanged.
 * Handout section 4.3.
 */
int parse_port(const char *text, uint16_t *port);

#endif

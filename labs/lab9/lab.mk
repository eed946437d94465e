# Lab 9, declared once. The Makefile, the grader, make handin, make dist, make status and
# the kit's tools read this file; nothing else lists what the lab is (grader/labs.py).
#   LAB_TITLE     the lab's topic, as make check and make status show it
#   LAB_FILES     the student's library files in labs/lab9/ (each tested through lab9.h)
#   LAB_PROGRAMS  the student's programs: labs/lab9/NAME.c builds build/lab9/NAME
#   LAB_SERVERS   which of the programs are servers (they print "Listening on HOST:PORT" once ready)
#   LAB_CLIENTS   which of the programs are clients
LAB_TITLE    := datagrams (UDP)
LAB_FILES    := datagram.c
LAB_PROGRAMS := udp_echo_server udp_echo_client
LAB_SERVERS  := udp_echo_server
LAB_CLIENTS  := udp_echo_client

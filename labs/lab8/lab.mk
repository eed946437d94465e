# Lab 8, declared once. The Makefile, the grader, make handin, make dist, make status and
# the kit's tools read this file; nothing else lists what the lab is (grader/labs.py).
#   LAB_TITLE     the lab's topic, as make check and make status show it
#   LAB_FILES     the student's library files in labs/lab8/ (each tested through lab8.h)
#   LAB_PROGRAMS  the student's programs: labs/lab8/NAME.c builds build/lab8/NAME
#   LAB_SERVERS   which of the programs are servers (they print "Listening on HOST:PORT" once ready)
#   LAB_CLIENTS   which of the programs are clients
LAB_TITLE    := many clients at once
LAB_FILES    := hub.c
LAB_PROGRAMS := multi_echo_server
LAB_SERVERS  := multi_echo_server
LAB_CLIENTS  :=

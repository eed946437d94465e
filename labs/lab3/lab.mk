# Lab 3, declared once. The Makefile, the grader, make handin, make dist, make status and
# the kit's tools read this file; nothing else lists what the lab is (grader/labs.py).
#   LAB_TITLE     the lab's topic, as make check and make status show it
#   LAB_FILES     the student's library files in labs/lab3/ (each tested through lab3.h)
#   LAB_PROGRAMS  the student's programs: labs/lab3/NAME.c builds build/lab3/NAME
#   LAB_SERVERS   which of the programs are servers (they print "Listening on HOST:PORT" once ready)
#   LAB_CLIENTS   which of the programs are clients
LAB_TITLE    := bind and listen
LAB_FILES    := listen.c
LAB_PROGRAMS :=
LAB_SERVERS  :=
LAB_CLIENTS  :=

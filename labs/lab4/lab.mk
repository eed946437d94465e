# Lab 4, declared once. The Makefile, the grader, make handin, make dist, make status and
# the kit's tools read this file; nothing else lists what the lab is (grader/labs.py).
#   LAB_TITLE     the lab's topic, as make check and make status show it
#   LAB_FILES     the student's library files in labs/lab4/ (each tested through lab4.h)
#   LAB_PROGRAMS  the student's programs: labs/lab4/NAME.c builds build/lab4/NAME
#   LAB_SERVERS   which of the programs are servers (they print "Listening on HOST:PORT" once ready)
#   LAB_CLIENTS   which of the programs are clients
LAB_TITLE    := accept and connect
LAB_FILES    := connect.c
LAB_PROGRAMS :=
LAB_SERVERS  :=
LAB_CLIENTS  :=

# Paths and flags; override on the command line (make CC=clang PREFIX=/opt/imb).
PREFIX  ?= /usr/local
CC      ?= cc
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
WARN     = -Wall -Wextra -Wno-unused-parameter
CPPFLAGS = -D_GNU_SOURCE -Ilib
LDLIBS   = -lxgboost -llinear -lsvm -lcsv -lmsgpackc -larchive -lopenblas -ljpeg -lpng -lz -lm -lpthread

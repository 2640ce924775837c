# intercom_fdw: PostgreSQL foreign data wrapper for the Intercom REST API.
MODULE_big = intercom_fdw
OBJS = intercom_fdw.o src/option.o src/http.o src/convert.o src/pushdown.o \
       src/scan.o src/import.o src/streams.o src/json_decode.o \
       src/retry.o src/scroll.o src/range.o src/link.o src/comment.o src/analyze.o \
       src/partition.o src/partition_balance.o src/pager.o src/http_async.o src/http_errors.o src/gzip.o src/jsonb_build.o src/columns.o src/children.o src/import_add.o

EXTENSION = intercom_fdw
DATA = intercom_fdw--1.0.sql
PGFILEDESC = "intercom_fdw - foreign data wrapper for Intercom"

# One suite per topic; each expects the fake Intercom at $FAKE_URL.
REGRESS = $(sort $(basename $(notdir $(wildcard $(srcdir)/sql/*.sql))))
REGRESS_OPTS = --inputdir=. --load-extension=intercom_fdw

PG_CPPFLAGS = -I$(srcdir)/src $(shell pkg-config --cflags libcurl jansson libdeflate)
SHLIB_LINK = $(shell pkg-config --libs libcurl jansson libdeflate)

EXTRA_CLEAN = results regression.diffs regression.out bench/raw_fetch

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

ifeq ($(filter 15 16 17,$(MAJORVERSION)),)
$(error intercom_fdw supports PostgreSQL 15 to 17, found $(MAJORVERSION))
endif

# PGXS does not track header dependencies: every object includes both.
# (After the include, so that the default goal stays PGXS's "all".)
$(OBJS): $(srcdir)/src/intercom_fdw.h $(srcdir)/src/streams.h $(srcdir)/src/stream_columns.h $(srcdir)/src/json_decode.h $(srcdir)/src/pager.h $(srcdir)/src/http_internal.h $(srcdir)/src/children.h $(srcdir)/src/partition_internal.h

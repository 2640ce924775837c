# intercom_fdw: PostgreSQL foreign data wrapper for the Intercom REST API.
MODULE_big = intercom_fdw
# src/ is grouped by layer (docs/architecture.md); every .c of a layer is built.
LAYERS = catalogue planning requests paging http decoding executor writing copies
OBJS = intercom_fdw.o $(patsubst %.c,%.o,$(sort $(foreach d,$(LAYERS),$(wildcard src/$(d)/*.c))))

EXTENSION = intercom_fdw
# The install script is built from one file per concern (src/sql/), in
# this order: each part uses only what the parts before it create.
SQL_PARTS = 00_fdw 10_state 20_helpers 30_deletions 40_run_steps 45_run 50_materialize 60_stitch_state
DATA_built = intercom_fdw--1.0.sql
PGFILEDESC = "intercom_fdw - foreign data wrapper for Intercom"

# One suite per topic; each expects the fake Intercom at $FAKE_URL.
REGRESS = $(sort $(basename $(notdir $(wildcard $(srcdir)/sql/*.sql))))
REGRESS_OPTS = --inputdir=. --load-extension=intercom_fdw

PG_CPPFLAGS = -I$(srcdir)/src $(foreach d,$(LAYERS),-I$(srcdir)/src/$(d)) $(shell pkg-config --cflags libcurl jansson libdeflate)
SHLIB_LINK = $(shell pkg-config --libs libcurl jansson libdeflate)

EXTRA_CLEAN = results regression.diffs regression.out bench/raw_fetch

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Tested on 15, 17 and 18; 16 follows from src/pg_compat.h (README).
ifeq ($(filter 15 16 17 18,$(MAJORVERSION)),)
$(error intercom_fdw supports PostgreSQL 15 to 18, found $(MAJORVERSION))
endif

intercom_fdw--1.0.sql: $(foreach p,$(SQL_PARTS),$(srcdir)/src/sql/$(p).sql)
	cat $^ > $@

# PGXS does not track header dependencies: every object depends on every header.
# (After the include, so that the default goal stays PGXS's "all".)
$(OBJS): $(wildcard $(srcdir)/src/*.h $(srcdir)/src/*/*.h)

# zonewatch — one non-recursive Makefile for the sensor, the collector, the
# tests and the tools.
#
#   make            build bin/zw-sensor, bin/zw-collector and the tools
#   make test       build, then run the whole suite (tests/run.sh)
#   make asan       the same suite with AddressSanitizer + UBSan (own build dir)
#   make fuzz       libFuzzer targets with clang (build-fuzz/)
#   make fuzz-run   run each of them for FUZZ_SECONDS (30) from its corpus
#   make bench      benchmarks against ndpiReader 4.2 (tests/bench/bench.sh), of
#                   indicator lists against nDPI's Patricia tree (bench-ioc.sh) and
#                   of the Redis output against redis-benchmark (bench-redis.sh),
#                   of the collector's store against the sqlite3 shell (bench-collector.sh)
#   make bench-live live capture loss against ndpiReader 4.2 (bench-capture.sh),
#                   packet -> Redis stream latency (bench-live.sh, also run by
#                   bench-redis.sh); root
#   make install    PREFIX=/usr/local DESTDIR=  (never overwrites a config)
#
# User CFLAGS add to the project's warnings, never remove them.

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
CC      ?= cc
CFLAGS  ?= -O2 -g
PKG_CONFIG ?= pkg-config
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

WARN := -Wall -Wextra -Wshadow -Wpointer-arith -Wcast-align -Wwrite-strings \
        -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla \
        -Wundef -Wnull-dereference -Wdouble-promotion
ifeq ($(WERROR),1)
WARN += -Werror
endif

SAN_FLAGS :=
ifeq ($(SAN),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif

# Libraries: reported with the Debian package that provides them.
define need_pkg
$(if $(shell $(PKG_CONFIG) --exists $(1) && echo y),,$(error $(1) not found: apt-get install $(2)  (or run scripts/deps.sh)))
endef
ifeq ($(filter clean,$(MAKECMDGOALS)),)
$(call need_pkg,libndpi,libndpi-dev)
$(call need_pkg,libpcap,libpcap-dev)
$(call need_pkg,libmaxminddb,libmaxminddb-dev)
$(call need_pkg,hiredis,libhiredis-dev)
$(call need_pkg,jansson,libjansson-dev)
$(call need_pkg,sqlite3,libsqlite3-dev)
endif

# nDPI's headers are not -Wall clean: include them as system headers.
NDPI_CFLAGS := $(patsubst -I%,-isystem %,$(shell $(PKG_CONFIG) --cflags libndpi 2>/dev/null))
NDPI_LIBS   := $(shell $(PKG_CONFIG) --libs libndpi 2>/dev/null)
PCAP_CFLAGS := $(shell $(PKG_CONFIG) --cflags libpcap 2>/dev/null)
PCAP_LIBS   := $(shell $(PKG_CONFIG) --libs libpcap 2>/dev/null)
MMDB_CFLAGS := $(shell $(PKG_CONFIG) --cflags libmaxminddb 2>/dev/null)
MMDB_LIBS   := $(shell $(PKG_CONFIG) --libs libmaxminddb 2>/dev/null)
HIREDIS_CFLAGS := $(shell $(PKG_CONFIG) --cflags hiredis 2>/dev/null)
HIREDIS_LIBS   := $(shell $(PKG_CONFIG) --libs hiredis 2>/dev/null)
JANSSON_CFLAGS := $(shell $(PKG_CONFIG) --cflags jansson 2>/dev/null)
JANSSON_LIBS   := $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null)
SQLITE_CFLAGS  := $(shell $(PKG_CONFIG) --cflags sqlite3 2>/dev/null)
SQLITE_LIBS    := $(shell $(PKG_CONFIG) --libs sqlite3 2>/dev/null)

ALL_CFLAGS := -std=gnu11 -pthread -D_GNU_SOURCE -DZW_VERSION='"$(VERSION)"' \
              -Icommon -Isensor -Icollector $(PCAP_CFLAGS) $(MMDB_CFLAGS) $(HIREDIS_CFLAGS) $(JANSSON_CFLAGS) \
              $(SQLITE_CFLAGS) $(NDPI_CFLAGS) $(WARN) $(SAN_FLAGS) $(CFLAGS) -MMD -MP
ALL_LDFLAGS := -pthread $(SAN_FLAGS) $(LDFLAGS)
LIBS := $(NDPI_LIBS) $(PCAP_LIBS) $(MMDB_LIBS) $(HIREDIS_LIBS) -lm
COLLECTOR_LIBS := $(HIREDIS_LIBS) $(JANSSON_LIBS) $(SQLITE_LIBS) -lm

COMMON_SRC := $(wildcard common/*.c)
SENSOR_SRC := $(filter-out sensor/main.c,$(wildcard sensor/*.c))
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
SENSOR_OBJ := $(SENSOR_SRC:%.c=$(BUILD)/%.o)
LIB_OBJ    := $(COMMON_OBJ) $(SENSOR_OBJ)
# the collector's modules (collector/main.c is its program); tests and fuzz
# targets link both sides
COLLECTOR_SRC := $(filter-out collector/main.c,$(wildcard collector/*.c))
COLLECTOR_OBJ := $(COLLECTOR_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ   := $(LIB_OBJ) $(COLLECTOR_OBJ)
TEST_LIBS  := $(LIBS) $(JANSSON_LIBS) $(SQLITE_LIBS)

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
# Fuzz targets built as plain programs that replay their corpus.
FUZZ_REPLAY := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/tests/%-replay)
TOOL_SRC   := $(wildcard tools/*.c)
TOOL_BIN   := $(TOOL_SRC:tools/%.c=$(BUILD)/tools/%)

SENSOR_BIN := $(BUILD)/bin/zw-sensor
COLLECTOR_BIN := $(BUILD)/bin/zw-collector

.PHONY: all test check asan fuzz fuzz-run bench bench-live lint install uninstall clean tests-build

# bin/zw-sensor points at the default build only: `make asan` or a private
# BUILD= must not swap a sanitizer or experimental binary in under users.
all: $(SENSOR_BIN) $(COLLECTOR_BIN) $(TOOL_BIN)
ifeq ($(BUILD),build)
	@mkdir -p bin && ln -sf ../$(SENSOR_BIN) bin/zw-sensor && ln -sf ../$(COLLECTOR_BIN) bin/zw-collector
endif

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(SENSOR_BIN): $(BUILD)/sensor/main.o $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# the collector links no nDPI, libpcap or libmaxminddb: common/ and collector/ only
$(COLLECTOR_BIN): $(BUILD)/collector/main.o $(COLLECTOR_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(COLLECTOR_LIBS)

$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(TEST_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(TEST_LIBS)

$(BUILD)/tests/fuzz_%-replay: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay_main.o $(TEST_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(TEST_LIBS)

# the collector's benchmark links the collector's modules, not the sensor's
$(BUILD)/tools/zw-bench-collector: $(BUILD)/tools/zw-bench-collector.o $(COLLECTOR_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(COLLECTOR_LIBS)

$(BUILD)/tools/%: $(BUILD)/tools/%.o $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

tests-build: all $(UNIT_BIN) $(FUZZ_REPLAY)

# The whole suite: unit tests, fuzz corpora, replay agreement with ndpiReader,
# determinism, malformed input, live capture (root only).  Closing line:
# "N passed, N failed".
test check: tests-build
	BUILD=$(BUILD) tests/run.sh

# Under the sanitizers determinism.sh compares -w 1 with -w 4 only (the
# plain suite checks 1, 2 and 4): the sanitizers look for memory errors, and
# CI has 20 minutes.
asan:
	ZW_SANITIZED=1 ZW_DETERMINISM_WORKERS="2" $(MAKE) BUILD=build-asan SAN=1 CFLAGS="-O1 -g" test

FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_SECONDS ?= 30
fuzz:
	$(MAKE) BUILD=build-fuzz CC=clang CFLAGS="-O1 -g -fsanitize=fuzzer-no-link" SAN=1 $(FUZZ_BIN)
	@echo "run e.g.: build-fuzz/fuzz_decode tests/fuzz/corpus/decode"

# Each fuzz target for FUZZ_SECONDS from its corpus (new inputs go to a
# scratch directory, the corpus in git is not touched).  CI runs this.
fuzz-run: fuzz
	@for t in $(FUZZ_BIN); do \
	  name=$${t#build-fuzz/fuzz_}; scratch=$$(mktemp -d); \
	  echo "fuzzing $$name for $(FUZZ_SECONDS) s"; \
	  $$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $$scratch tests/fuzz/corpus/$$name \
	    >build-fuzz/$$name.log 2>&1 || { tail -40 build-fuzz/$$name.log; rm -rf $$scratch; exit 1; }; \
	  grep -E 'stat::number_of_executed_units' build-fuzz/$$name.log; rm -rf $$scratch; \
	done

build-fuzz/fuzz_%: build-fuzz/tests/fuzz/fuzz_%.o $(TEST_OBJ)
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(TEST_LIBS)

bench: all
	BUILD=$(BUILD) tests/bench/bench.sh
	BUILD=$(BUILD) tests/bench/bench-ioc.sh
	BUILD=$(BUILD) tests/bench/bench-redis.sh
	BUILD=$(BUILD) tests/bench/bench-collector.sh

bench-live: all
	BUILD=$(BUILD) tests/bench/bench-capture.sh
	BUILD=$(BUILD) tests/bench/bench-live.sh

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
	  --suppress=missingIncludeSystem -Icommon -Isensor -Icollector common sensor collector tools

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/zonewatch $(DESTDIR)/etc/zonewatch \
	  $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(SENSOR_BIN) $(DESTDIR)$(PREFIX)/bin/zw-sensor
	install -m 0755 $(COLLECTOR_BIN) $(DESTDIR)$(PREFIX)/bin/zw-collector
	install -m 0644 doc/zw-sensor.8 $(DESTDIR)$(PREFIX)/share/man/man8/zw-sensor.8
	install -m 0644 doc/zw-collector.8 $(DESTDIR)$(PREFIX)/share/man/man8/zw-collector.8
	install -m 0644 sensor/zw-sensor.conf.example collector/zw-collector.conf.example \
	  $(DESTDIR)$(PREFIX)/share/zonewatch/
	install -d $(DESTDIR)$(PREFIX)/share/zonewatch/signatures/lists
	install -m 0644 signatures/*.rules signatures/README.md $(DESTDIR)$(PREFIX)/share/zonewatch/signatures/
	install -m 0644 signatures/lists/* $(DESTDIR)$(PREFIX)/share/zonewatch/signatures/lists/
	install -m 0644 doc/alert.schema.json doc/alert.schema.v2.json $(DESTDIR)$(PREFIX)/share/zonewatch/
	install -d $(DESTDIR)$(PREFIX)/share/zonewatch/examples
	install -m 0644 doc/examples/*.conf $(DESTDIR)$(PREFIX)/share/zonewatch/examples/
	@if [ -e $(DESTDIR)/etc/zonewatch/zw-sensor.conf ]; then \
	  echo "keeping existing $(DESTDIR)/etc/zonewatch/zw-sensor.conf"; \
	else install -m 0640 sensor/zw-sensor.conf.example $(DESTDIR)/etc/zonewatch/zw-sensor.conf; fi
	@if [ -e $(DESTDIR)/etc/zonewatch/zw-collector.conf ]; then \
	  echo "keeping existing $(DESTDIR)/etc/zonewatch/zw-collector.conf"; \
	else install -m 0640 collector/zw-collector.conf.example $(DESTDIR)/etc/zonewatch/zw-collector.conf; fi

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/zw-sensor $(DESTDIR)$(PREFIX)/share/man/man8/zw-sensor.8 \
	  $(DESTDIR)$(PREFIX)/bin/zw-collector $(DESTDIR)$(PREFIX)/share/man/man8/zw-collector.8
	rm -rf $(DESTDIR)$(PREFIX)/share/zonewatch

clean:
	rm -rf build build-asan build-fuzz bin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# keep intermediate objects of test programs (no rebuild on every make test)
.SECONDARY:

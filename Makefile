# Troth build. `make` builds build/troth (release, hardened);
# `make asan` builds build/asan/troth with AddressSanitizer + UBSan;
# `make unit` builds and runs the cmocka unit tests (under the sanitizers).
# `make fuzz` builds the libFuzzer harnesses (Debian's clang) into
# build/fuzz/; scripts/fuzz SECONDS runs each on its seed corpus.
# Every library is found with pkg-config.

PKGS     := libmicrohttpd jansson libssl libcrypto libpq libargon2 libseccomp libcurl cjose libp11
CC       ?= gcc
# p11-kit-1: only its pkcs11.h (pki/token.c calls the module's C_GenerateKeyPair)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) p11-kit-1)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS)) -lpthread
WARN     := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -Wvla -Wno-unused-parameter
DEFS     := -D_GNU_SOURCE
HARDEN   := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
RELEASE_CFLAGS := $(WARN) $(DEFS) -O2 -g $(HARDEN) -Isrc -Ibuild/gen $(PKG_CFLAGS)
RELEASE_LDFLAGS := -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack
ASAN_CFLAGS := $(WARN) $(DEFS) -O1 -g -fno-omit-frame-pointer -fPIE \
               -fsanitize=address,undefined -fno-sanitize-recover=undefined \
               -Isrc -Ibuild/gen $(PKG_CFLAGS)
ASAN_LDFLAGS := -pie -fsanitize=address,undefined

SRC      := $(shell find src -name '*.c' | sort)
LIBSRC   := $(filter-out src/main.c,$(SRC))
MIGRATIONS := $(sort $(wildcard sql/migrations/*.sql))
ASSETS   := $(shell find assets -type f | sort)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))

GEN      := build/gen/embedded.c
OBJ      := $(SRC:src/%.c=build/obj/%.o) build/obj/gen/embedded.o
LIBOBJ   := $(LIBSRC:src/%.c=build/obj/%.o) build/obj/gen/embedded.o
AOBJ     := $(SRC:src/%.c=build/asan/obj/%.o) build/asan/obj/gen/embedded.o
ALIBOBJ  := $(LIBSRC:src/%.c=build/asan/obj/%.o) build/asan/obj/gen/embedded.o
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/asan/unit/%)

.PHONY: all asan unit fuzz clean FORCE
.DEFAULT_GOAL := all

# The commit being built, for troth_build_info; rewritten only when it changes,
# so nothing else rebuilds on a new commit.
build/gen/commit.h: FORCE
	@mkdir -p $(dir $@)
	@c=$$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown); \
	  git diff --quiet HEAD 2>/dev/null || c="$$c-dirty"; \
	  echo "#define TROTH_COMMIT \"$$c\"" >$@.tmp; cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp
build/obj/metrics/gauges.o build/asan/obj/metrics/gauges.o: build/gen/commit.h

all: build/troth

build/troth: $(OBJ)
	$(CC) $(RELEASE_LDFLAGS) -o $@ $^ $(PKG_LIBS)

asan: build/asan/troth

build/asan/troth: $(AOBJ)
	$(CC) $(ASAN_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(GEN): scripts/embed $(MIGRATIONS) $(ASSETS)
	@mkdir -p $(dir $@)
	scripts/embed $@ $(MIGRATIONS) -- $(ASSETS)

build/obj/gen/embedded.o: $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(RELEASE_CFLAGS) -c -o $@ $<

build/asan/obj/gen/embedded.o: $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) -c -o $@ $<

build/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC $<"; $(CC) $(RELEASE_CFLAGS) -MMD -MP -c -o $@ $<

build/asan/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC(asan) $<"; $(CC) $(ASAN_CFLAGS) -MMD -MP -c -o $@ $<

build/asan/unit/%: tests/unit/%.c $(ALIBOBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) $(shell pkg-config --cflags cmocka) -o $@ $^ \
	    $(ASAN_LDFLAGS) $(PKG_LIBS) $(shell pkg-config --libs cmocka)

# The password code under ThreadSanitizer (it finds races, ASan does not);
# in build/asan/unit/ so that scripts/test runs it with the others.
TSAN_CFLAGS := $(WARN) $(DEFS) -O1 -g -fsanitize=thread -Isrc $(PKG_CFLAGS)
build/asan/unit/test_password_race: tests/unit/tsan_password.c src/auth/password.c src/auth/password.h
	@mkdir -p $(dir $@)
	$(CC) $(TSAN_CFLAGS) -o $@ tests/unit/tsan_password.c src/auth/password.c \
	    -fsanitize=thread $(PKG_LIBS)

# The signer's own throughput (printed by scripts/bench, asserts nothing on time).
build/bench/signer: scripts/bench.d/signer.c $(LIBOBJ)
	@mkdir -p $(dir $@)
	$(CC) $(RELEASE_CFLAGS) -Itests/unit $(shell pkg-config --cflags cmocka) -o $@ $^ \
	    $(RELEASE_LDFLAGS) $(PKG_LIBS) $(shell pkg-config --libs cmocka)

# Builds every unit test; scripts/test runs them and counts the results.
unit: $(UNIT_BIN) build/asan/unit/test_password_race

# libFuzzer harnesses (tests/fuzz/fuzz_*.c): the library compiled by clang
# with ASan + UBSan and the fuzzer's coverage, each harness linked with it.
# clang's -Wformat=2 also flags vsnprintf in log helpers taking a va_list,
# and libseccomp's SCMP_A1 macro leaves a field to zero: both quietened here.
FUZZ_CC     := clang
FUZZ_SRC    := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN    := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_CFLAGS := $(WARN) -Wno-format-nonliteral -Wno-missing-field-initializers $(DEFS) -O1 -g -fno-omit-frame-pointer \
               -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
               -Isrc -Ibuild/gen $(PKG_CFLAGS)
FLIBOBJ     := $(LIBSRC:src/%.c=build/fuzz/obj/%.o) build/fuzz/obj/gen/embedded.o

fuzz: $(FUZZ_BIN)

build/fuzz/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC(fuzz) $<"; $(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

build/fuzz/obj/gen/embedded.o: $(GEN)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

build/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz_keys.h $(FLIBOBJ)
	@mkdir -p $(dir $@)
	@echo "  LD(fuzz) $@"; $(FUZZ_CC) $(FUZZ_CFLAGS) -Itests/fuzz -fsanitize=fuzzer \
	    -o $@ $< $(FLIBOBJ) $(PKG_LIBS)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)

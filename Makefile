# imb: build, demo, tests, benchmarks. See README.md.
include config.mk

LIB_SRC   := $(wildcard lib/*.c)
# BUILD and BIN may point elsewhere (parallel work trees); tests find the
# tools through IMB_BIN.
BUILD     ?= build
BIN       ?= bin
LIB_OBJ   := $(LIB_SRC:lib/%.c=$(BUILD)/lib/%.o)
# The CUDA backend (lib/*.cu) joins the library where nvcc and cuDNN's
# header are found, unless CUDA=0; without them, nothing below changes
# the build (a toolkit without cuDNN builds the CPU engine alone). The
# runtime is linked statically; cuBLAS and cuDNN are shared libraries,
# needed only by the tools that run networks (--as-needed). A build
# with the backend runs on machines without a GPU (those libraries
# installed): --device cuda is then an error and the GPU tests are
# skipped. IMB_NN_CUDA makes
# nn_backend.c's reference to the CUDA table strong, so a tool that uses
# the engine pulls it from libimb.a (a weak reference does not pull an
# archive member). NVCC_ARCH: Hopper (sm_90) and Ampere (sm_80) code,
# plus PTX for newer cards.
CUDA      ?= 1
NVCC      ?= $(shell command -v nvcc 2>/dev/null || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
NVCC_ARCH ?= -gencode=arch=compute_90,code=sm_90 -gencode=arch=compute_80,code=[sm_80,compute_80]
CUDA_HOME ?= $(patsubst %/bin/,%,$(dir $(NVCC)))
CUDNN_H   := $(if $(NVCC),$(firstword $(wildcard $(CUDA_HOME)/include/cudnn.h \
             /usr/include/cudnn.h /usr/include/x86_64-linux-gnu/cudnn.h)))
CU_SRC    := $(if $(filter 1,$(CUDA)),$(if $(CUDNN_H),$(wildcard lib/*.cu)))
CU_OBJ    := $(CU_SRC:lib/%.cu=$(BUILD)/lib/%.cu.o)
ifneq ($(CU_SRC),)
CPPFLAGS  += -DIMB_NN_CUDA
LDLIBS    := -Wl,--as-needed $(LDLIBS) -L$(CUDA_HOME)/lib64 -lcudart_static -lcublas -lcudnn \
             -ldl -lrt -lstdc++
endif
TOOL_SRC  := $(wildcard tools/imb-*.c)
TOOLS     := $(TOOL_SRC:tools/%.c=$(BIN)/%)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNITS     := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
MANS      := $(wildcard man/*.1)
DEPS_OK   := build/.deps-ok

.PHONY: all deps demo test unit bats bench install uninstall clean
all: $(TOOLS)

# Debian packages the build, the demo and the tests need; installed when
# missing (needs root or sudo), recorded once per checkout.
deps: $(DEPS_OK)
$(DEPS_OK): scripts/deps.sh
	sh scripts/deps.sh
	@mkdir -p build && touch $@

# the flags the objects were built with: a build with other flags (CUDA=0
# then CUDA=1 in one BUILD, which turns IMB_NN_CUDA on) rebuilds them
FLAGS := $(BUILD)/.flags
$(FLAGS): FORCE
	@mkdir -p $(@D)
	@echo '$(CC) $(CPPFLAGS) $(CFLAGS) $(CU_SRC)' | cmp -s - $@ || \
	  echo '$(CC) $(CPPFLAGS) $(CFLAGS) $(CU_SRC)' > $@
.PHONY: FORCE
FORCE:

$(BUILD)/lib/%.o: lib/%.c $(wildcard lib/*.h) config.mk $(FLAGS) | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<

$(BUILD)/lib/%.cu.o: lib/%.cu $(wildcard lib/*.h) config.mk $(FLAGS)
	@mkdir -p $(@D)
	$(NVCC) $(CPPFLAGS) -std=c++17 -O3 $(NVCC_ARCH) -Xcompiler -Wall -c -o $@ $<

$(BUILD)/libimb.a: $(LIB_OBJ) $(CU_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN)/%: tools/%.c $(BUILD)/libimb.a $(wildcard lib/*.h)
	@mkdir -p $(BIN)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< $(BUILD)/libimb.a $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(BUILD)/libimb.a $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(WARN) -o $@ $< $(BUILD)/libimb.a $(LDLIBS)

# test_nn_backend and test_nn_cuda also link the reference backend
# (tests/nn_backend_ref.c), which lib/nn_backend.c registers by a weak
# reference: no other program has it
$(BUILD)/tests/test_nn_backend $(BUILD)/tests/test_nn_cuda: $(BUILD)/tests/%: tests/unit/%.c tests/nn_backend_ref.c $(wildcard tests/unit/*.h) $(BUILD)/libimb.a $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(WARN) -o $@ $< tests/nn_backend_ref.c $(BUILD)/libimb.a $(LDLIBS)

# the link line, for scripts that build against libimb.a (bench/nn.sh)
.PHONY: ldlibs
ldlibs:
	@echo $(LDLIBS)

unit: $(UNITS)
	@set -e; for t in $(UNITS); do echo "== $$t"; ./$$t; done

bats: $(TOOLS)
	IMB_BIN=$(abspath $(BIN)) IMB_UNIT=$(abspath $(BUILD))/tests bats tests/

test: deps all unit bats

demo: deps all
	sh pipelines/demo.sh

bench: deps all
	sh bench/run.sh

# The GPU tests and benchmark (docs/engine.md, "CUDA"): on a machine with
# an NVIDIA GPU; elsewhere each says it was skipped.
.PHONY: test-cuda bench-cuda
test-cuda: all $(BUILD)/tests/test_nn_backend $(BUILD)/tests/test_nn_cuda $(BUILD)/tests/test_nn_graph \
           $(BUILD)/tests/test_nn_ntxent $(BUILD)/tests/test_laplace
	./$(BUILD)/tests/test_nn_backend
	./$(BUILD)/tests/test_nn_cuda
	./$(BUILD)/tests/test_nn_graph
	./$(BUILD)/tests/test_nn_ntxent
	./$(BUILD)/tests/test_laplace
	IMB_BIN=$(abspath $(BIN)) IMB_UNIT=$(abspath $(BUILD))/tests bats tests/cuda.bats

bench-cuda: all
	sh bench/cuda.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(TOOLS) $(DESTDIR)$(PREFIX)/bin/
	$(if $(MANS),install -m 644 $(MANS) $(DESTDIR)$(PREFIX)/share/man/man1/)

uninstall:
	rm -f $(TOOLS:$(BIN)/%=$(DESTDIR)$(PREFIX)/bin/%) $(MANS:man/%=$(DESTDIR)$(PREFIX)/share/man/man1/%)

clean:
	rm -rf $(BUILD)/lib $(BUILD)/tests $(BUILD)/libimb.a $(BIN)

# libFuzzer harnesses (tests/fuzz/fuzz_*.c) over the whole library, with
# AddressSanitizer and UBSan; each runs FUZZ_SECONDS on its seed corpus
# (tests/fuzz/corpus/NAME) plus what it found before ($(BUILD)/fuzz/corpus-*).
# The library is compiled once for all harnesses. A crash leaves its input
# as $(BUILD)/fuzz/NAME-crash-* and fails the target.
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS      := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_SECONDS ?= 60
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS  := -g -O1 $(FUZZ_SAN)
# the network engine (lib/nn_*.c, GCC vector builtins) is not reachable
# from the readers and importers, and clang cannot compile it
FUZZ_OBJ     := $(patsubst lib/%.c,$(BUILD)/fuzz/lib/%.o,$(filter-out lib/nn_%.c,$(LIB_SRC)))
$(BUILD)/fuzz/lib/%.o: lib/%.c $(wildcard lib/*.h)
	@mkdir -p $(@D)
	clang $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -Wno-unknown-attributes -c -o $@ $<
$(BUILD)/fuzz/libimb-fuzz.a: $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(BUILD)/fuzz/%: tests/fuzz/%.c $(BUILD)/fuzz/libimb-fuzz.a $(wildcard lib/*.h)
	@mkdir -p $(@D)
	clang $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/fuzz/libimb-fuzz.a $(LDLIBS)
.PHONY: fuzz fuzzers
fuzzers: $(FUZZERS)
fuzz: $(FUZZERS)
	@set -e; for f in $(FUZZERS); do n=$$(basename $$f); c=tests/fuzz/corpus/$${n#fuzz_}; \
	  mkdir -p $(BUILD)/fuzz/corpus-$$n; echo "== $$n ($(FUZZ_SECONDS) s)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
	    -max_len=8192 -artifact_prefix=$(BUILD)/fuzz/$$n- $(BUILD)/fuzz/corpus-$$n $$c \
	    > $(BUILD)/fuzz/$$n.log 2>&1 || { tail -n 40 $(BUILD)/fuzz/$$n.log; exit 1; }; \
	  grep -E '^#[0-9]+[[:space:]]+DONE|^Done' $(BUILD)/fuzz/$$n.log | tail -n 2; done

# AddressSanitizer + UBSan build of everything (tools and unit tests) in
# build/asan, then the unit and Bats tests against it. Leak checking is
# left to valgrind (tests/valgrind.sh: IMB_VALGRIND=1 make bats).
ASAN_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
.PHONY: asan
asan: deps
	$(MAKE) CUDA=0 BUILD=build/asan BIN=build/asan/bin CFLAGS="$(ASAN_CFLAGS)" all $(UNIT_SRC:tests/unit/%.c=build/asan/tests/%)
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:exitcode=99 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(MAKE) CUDA=0 BUILD=build/asan BIN=build/asan/bin CFLAGS="$(ASAN_CFLAGS)" unit bats

# ThreadSanitizer on the unit tests that run the engine's thread pool and
# SMOTE's threads (build/tsan; OpenBLAS itself is not instrumented).
TSAN_CFLAGS := -O1 -g -fsanitize=thread
TSAN_UNITS  := test_nn_layers test_nn_cpu test_nn_backend test_nn_optim test_nn_train test_nn_sam test_nn_hvp test_oversample
.PHONY: tsan
tsan: deps
	$(MAKE) CUDA=0 BUILD=build/tsan BIN=build/tsan/bin CFLAGS="$(TSAN_CFLAGS)" $(TSAN_UNITS:%=build/tsan/tests/%)
	@for t in $(TSAN_UNITS); do echo "== tsan $$t"; \
	  TSAN_OPTIONS=halt_on_error=1:exitcode=66 build/tsan/tests/$$t > build/tsan/$$t.log 2>&1 || \
	    { tail -n 60 build/tsan/$$t.log; exit 1; }; tail -n 1 build/tsan/$$t.log; done

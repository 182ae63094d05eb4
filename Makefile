# sarc - the only build file.  make | make test | make test SAN=1 | make bench | make fuzz | make demo
#
# Knobs (defaults):
#   CUDA=auto     compile cuda/*.cu when nvcc is on PATH; CUDA=0 CPU only; CUDA=1 require nvcc
#   SAN=0         SAN=1: AddressSanitizer + UndefinedBehaviorSanitizer (objects in build-san/, CPU only)
#   DEBUG=0       DEBUG=1: -O0 -g
#   CUDA_ARCH     sm_80 and sm_90 plus compute_90 PTX
#   FUZZ_SECONDS  per fuzz target in `make fuzz`
#   T=            test filter: `make test T=nifti` runs tests whose name or file contains "nifti"
#   BUILD         object folder (build, or build-san with SAN=1)
CUDA         ?= auto
SAN          ?= 0
DEBUG        ?= 0
CUDA_ARCH    ?= -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90
FUZZ_SECONDS ?= 60
T            ?=

ifeq ($(SAN),1)
  BUILD ?= build-san
else
  BUILD ?= build
endif

NVCC := $(shell command -v nvcc 2>/dev/null)
# sanitizer builds are CPU-only unless CUDA=1 is asked for (ASan and the CUDA runtime do not mix)
ifeq ($(SAN)$(CUDA),1auto)
  CUDA := 0
endif
ifeq ($(CUDA),auto)
  ifneq ($(NVCC),)
    USE_CUDA := 1
  else
    USE_CUDA := 0
  endif
else
  USE_CUDA := $(CUDA)
endif
ifeq ($(USE_CUDA),1)
  ifeq ($(NVCC),)
    $(error CUDA=1 but nvcc is not on PATH)
  endif
  CUDA_HOME ?= $(patsubst %/bin/nvcc,%,$(NVCC))
endif

OPT := -O2
ifeq ($(DEBUG),1)
  OPT := -O0 -g
endif
SANFLAGS :=
ifeq ($(SAN),1)
  SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g
endif

CFLAGS  := -std=c11 $(OPT) -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -I. -MMD -MP $(SANFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := $(SANFLAGS)
LDLIBS  := -lm -lpthread
NVFLAGS := -O2 -std=c++17 $(CUDA_ARCH) -I. -Xcompiler -Wall,-Wextra -MMD -MP

LIB_SRC  := $(sort $(wildcard vendor/*.c io/*.c image/*.c nn/*.c radiomics/*.c stats/*.c))
CMD_SRC  := $(sort $(wildcard cmd/*.c))
TEST_SRC := $(sort $(wildcard test/main.c test/*/test_*.c))
BENCH_SRC:= $(sort $(wildcard test/bench/*.c))
FUZZ_SRC := $(sort $(wildcard test/fuzz/fuzz_*.c))
CU_SRC   :=
ifeq ($(USE_CUDA),1)
  CU_SRC := $(sort $(wildcard cuda/*.cu))
  CFLAGS += -DSARC_CUDA=1
  LDLIBS += -L$(CUDA_HOME)/lib64 -lcudart_static -ldl -lrt -lstdc++
endif

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(CU_SRC:%.cu=$(BUILD)/%.cu.o)
CMD_OBJ  := $(CMD_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)
BENCH_BIN:= $(BENCH_SRC:test/bench/%.c=$(BUILD)/bench/%)

GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)
BUILD_FLAGS := $(CC) $(OPT) $(if $(filter 1,$(SAN)),asan+ubsan,) $(if $(filter 1,$(USE_CUDA)),cuda,cpu-only)

.PHONY: all test bench fuzz demo clean features
all: sarc features

features:
	@echo "sarc build: CUDA $(if $(filter 1,$(USE_CUDA)),on ($(NVCC)),off) | sanitizers $(if $(filter 1,$(SAN)),on,off) | $(BUILD)/"

# ./sarc is the default build's binary; other builds keep theirs in $(BUILD)/sarc
ifeq ($(BUILD),build)
sarc: $(BUILD)/sarc
	@cp $(BUILD)/sarc sarc
else
sarc: $(BUILD)/sarc
endif

$(BUILD)/sarc: $(CMD_OBJ) $(LIB_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/sarc_test: $(TEST_OBJ) $(LIB_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# objects are rebuilt when the compiler flags change
$(BUILD)/flags.stamp: FORCE
	@mkdir -p $(BUILD)
	@echo '$(CC) $(CFLAGS) $(NVFLAGS) $(USE_CUDA)' > $@.new
	@cmp -s $@.new $@ && rm -f $@.new || mv $@.new $@

$(BUILD)/buildinfo.h: FORCE
	@mkdir -p $(BUILD)
	@printf '#define SARC_COMMIT "%s"\n#define SARC_FLAGS "%s"\n' "$(GIT_COMMIT)" "$(strip $(BUILD_FLAGS))" > $@.new
	@cmp -s $@.new $@ && rm -f $@.new || mv $@.new $@
FORCE:

$(BUILD)/cmd/main.o: cmd/main.c $(BUILD)/buildinfo.h $(BUILD)/flags.stamp
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -include $(BUILD)/buildinfo.h -c $< -o $@

$(BUILD)/%.o: %.c $(BUILD)/flags.stamp
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/%.cu.o: %.cu $(BUILD)/flags.stamp
	@mkdir -p $(dir $@)
	$(NVCC) $(NVFLAGS) -c $< -o $@

test: sarc $(BUILD)/sarc_test
	@SARC_BIN=$(BUILD)/sarc $(BUILD)/sarc_test $(T)

$(BUILD)/bench/%: test/bench/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIB_OBJ) $(LDFLAGS) $(LDLIBS)

bench: sarc $(BENCH_BIN)
	@for b in $(BENCH_BIN); do echo "== $$b"; SARC_BIN=$(BUILD)/sarc $$b || exit 1; done

# libFuzzer targets (clang); `make test` replays the corpora without clang
fuzz:
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  $(MAKE) -s CC=clang BUILD=build-fuzz EXTRA_CFLAGS="-fsanitize=fuzzer-no-link,address,undefined" CUDA=0 build-fuzz/lib.a && \
	  clang -std=c11 -O1 -g -I. -D_POSIX_C_SOURCE=200809L -fsanitize=fuzzer,address,undefined $$f build-fuzz/lib.a -lm -lpthread -o build-fuzz/$$n && \
	  mkdir -p build-fuzz/corpus-$$n && build-fuzz/$$n -max_total_time=$(FUZZ_SECONDS) build-fuzz/corpus-$$n test/fuzz/corpus/$${n#fuzz_} || exit 1; done

$(BUILD)/lib.a: $(LIB_OBJ)
	ar rcs $@ $^

demo: sarc
	@echo "make demo: the whole-study pipeline (sarc study) is not available yet; it lands with its own issue."

clean:
	rm -rf build build-san build-fuzz sarc

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

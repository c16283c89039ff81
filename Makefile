# shiftcurv — the two commands:
#   make demo   install what is missing, build (Release), run the main example
#   make test   install what is missing, build (Release, and an ASan+UBSan build), run all tests
#
# While developing: `make test-box BOX=basins` builds and runs one folder's tests (tests/basins)
# in the Release build; `make bench` builds the benchmarks (not part of `make test`).
#
# Variables: BUILD (build dir, default build), JOBS (parallel jobs), WERROR=ON (CI: warnings
# are errors), SANITIZE=OFF (no sanitizer pass: `make test` then runs every test in the Release
# build).

BUILD    ?= build
ASAN_BUILD ?= build-asan
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
WERROR   ?= OFF
SANITIZE ?= ON
TEST_PASS ?= all

# The CUDA backend of examples/network is built when nvcc is found: on the PATH, else the
# toolkit's default place (CMake's own search does not look there).
CUDA_CONFIG := $(if $(shell command -v nvcc 2>/dev/null),,$(if $(wildcard /usr/local/cuda/bin/nvcc),-DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc))

# Ninja (package ninja-build) for a new build directory: it keeps both cores busy across targets
# with less overhead than make's recursive Makefiles.  A directory configured before keeps its
# generator (CMake cannot switch one); `make clean` to start over.
GENERATOR = $(if $(wildcard $(1)/CMakeCache.txt),,$(if $(shell command -v ninja 2>/dev/null),-G Ninja))

# Debian packages the build needs (header-only libraries, test and benchmark frameworks).
BUILD_PACKAGES := cmake g++ make ninja-build libeigen3-dev libboost-dev doctest-dev libbenchmark-dev \
                  libcli11-dev librandom123-dev libspectra-dev zlib1g-dev \
                  libopenmpi-dev openmpi-bin liblbfgspp-dev
# Extra packages for the demo's figures (the demo still runs without them).
DEMO_PACKAGES  := python3 python3-matplotlib

.PHONY: demo test test-box bench deps demo-deps configure build build-demo build-tests asan asan-configure clean

# The paper's Figure 4 (left) over a log-spaced T grid: table on stdout, CSVs and the figure in
# $(BUILD)/demo/fig4-left; Figure 4 (right) and Figure 6 (one and three basins) beside it.
demo: demo-deps build-demo
	./$(BUILD)/examples/synthetic_basins --preset=fig4-left --outdir=$(BUILD)/demo/fig4-left
	@for p in fig4-right fig6-left fig6-right; do \
	  ./$(BUILD)/examples/synthetic_basins --preset=$$p --outdir=$(BUILD)/demo/$$p >/dev/null || exit 1; done
	@echo "demo: CSVs and figures in $(BUILD)/demo/<preset>/ (fig4-left, fig4-right, fig6-left, fig6-right)"

# Two builds, and every check runs in exactly one of them (tests/CMakeLists.txt, "Which of them
# a build builds"): the Release build (the example programs as users build them, -O3) runs the
# command-line contracts (tests/cli), the examples' smoke tests, the MPI tests, the install
# test and the long ("slow*") suites; the ASan + UBSan build runs every library test box.  With
# SANITIZE=OFF the Release build runs everything.  Neither builds the benchmarks.
# The two builds compile and test at the same time (tools/run-tests.sh): the cores stay busy
# through either one's tail.
test: TEST_PASS = $(if $(filter ON,$(SANITIZE)),programs,all)
ifeq ($(SANITIZE),ON)
test: deps configure asan-configure
	@sh tools/run-tests.sh $(BUILD) $(ASAN_BUILD) $(JOBS)
else
test: deps build-tests
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
endif

# One folder's tests, e.g. `make test-box BOX=dynamics` (its slow suites, test_<box>_slow from
# its *_slow.cpp files, included), in the Release build.
test-box: TEST_PASS = all
test-box: configure
	cmake --build $(BUILD) -j $(JOBS) --target test_$(BOX) $(if $(wildcard tests/$(BOX)/*_slow.cpp),test_$(BOX)_slow)
	cd $(BUILD) && ctest --output-on-failure -R '^$(BOX)(_slow)?$$'

bench: deps configure
	cmake --build $(BUILD) -j $(JOBS) --target shiftcurv_benchmarks

deps:
	@sh tools/install-deps.sh $(BUILD_PACKAGES)

demo-deps:
	@sh tools/install-deps.sh $(BUILD_PACKAGES)
	@sh tools/install-deps.sh --optional $(DEMO_PACKAGES)

configure:
	cmake -S . -B $(BUILD) $(call GENERATOR,$(BUILD)) -DCMAKE_BUILD_TYPE=Release -DSHIFTCURV_WARNINGS_AS_ERRORS=$(WERROR) \
	      -DSHIFTCURV_TEST_PASS=$(TEST_PASS) $(CUDA_CONFIG)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

build-tests: configure
	cmake --build $(BUILD) -j $(JOBS) --target shiftcurv_test_programs

# The demo needs only its program (tests and benchmarks are built by `make test`).
build-demo: configure
	cmake --build $(BUILD) -j $(JOBS) --target synthetic_basins

# ASan + UBSan over every library test box (tests/<box> but its *_slow.cpp files, which the
# Release pass runs ~15x faster; not tests/cli, whose programs the Release pass checks).  Built
# at -Og without NDEBUG, so Eigen's own size/index assertions are live too (-Og compiles in
# about 60% of -O1's time with the sanitizers on; the UBSan checks left out for compile time
# are listed in CMakeLists.txt).
asan: asan-configure
	cmake --build $(ASAN_BUILD) -j $(JOBS) --target shiftcurv_test_programs

asan-configure:
	cmake -S . -B $(ASAN_BUILD) $(call GENERATOR,$(ASAN_BUILD)) -DCMAKE_BUILD_TYPE= -DCMAKE_CXX_FLAGS=-Og -DSHIFTCURV_SANITIZE=ON \
	      -DSHIFTCURV_BUILD_EXAMPLES=ON -DSHIFTCURV_BUILD_BENCHMARKS=OFF \
	      -DSHIFTCURV_WARNINGS_AS_ERRORS=$(WERROR)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

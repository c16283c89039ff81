# shiftcurv — the two commands:
#   make demo   install what is missing, build (Release), run the main example
#   make test   install what is missing, build (Release), run every test
#   make check  `make test`, then every library suite again under ASan + UBSan, and the CUDA
#               backend's host emulation (what CI runs, with WERROR=ON: .ci/run)
#
# While developing: `make test-box BOX=basins` builds and runs one folder's tests (tests/basins);
# `make bench` builds the benchmarks (not part of `make test`).
#
# Variables: BUILD (build dir, default build), ASAN_BUILD (default build-asan), JOBS (parallel
# jobs), WERROR=ON (CI: warnings are errors).

BUILD    ?= build
ASAN_BUILD ?= build-asan
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
WERROR   ?= OFF

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
# The Python package (python/, issue 20): Debian's Python, NumPy, SciPy, pytest and PyTorch; nanobind
# and scikit-build-core come from PyPI into a virtual environment under the build directory
# that also sees Debian's packages (VENV; `make test` builds the extension in the same CMake
# build and runs pytest as the ctest entry `python`).
PYTHON_PACKAGES := python3-dev python3-venv python3-numpy python3-scipy python3-pytest python3-torch
SYSTEM_PYTHON ?= /usr/bin/python3
VENV ?= $(BUILD)/venv
PY_PIP_PACKAGES := nanobind==3.1.0 scikit-build-core==1.1.2
# Set when the virtual environment exists (configure then builds the extension and its test).
PY_CONFIG = $(if $(wildcard $(VENV)/bin/python),-DSHIFTCURV_PYTHON=ON -DPython_EXECUTABLE=$(CURDIR)/$(VENV)/bin/python \
            -Dnanobind_DIR=$(shell $(VENV)/bin/python -m nanobind --cmake_dir 2>/dev/null))
# Extra packages for the demo's figures (the demo still runs without them).
DEMO_PACKAGES  := python3 python3-matplotlib

.PHONY: demo test check test-box bench deps python-env demo-deps configure build build-demo build-tests asan asan-configure host-emulation clean

# The paper's Figure 4 (left) over a log-spaced T grid: table on stdout, CSVs and the figure in
# $(BUILD)/demo/fig4-left; Figure 4 (right) and Figure 6 (one and three basins) beside it.
demo: demo-deps build-demo
	./$(BUILD)/examples/synthetic_basins --preset=fig4-left --outdir=$(BUILD)/demo/fig4-left
	@for p in fig4-right fig6-left fig6-right; do \
	  ./$(BUILD)/examples/synthetic_basins --preset=$$p --outdir=$(BUILD)/demo/$$p >/dev/null || exit 1; done
	@echo "demo: CSVs and figures in $(BUILD)/demo/<preset>/ (fig4-left, fig4-right, fig6-left, fig6-right)"

# One build, every test: the library suites and their slow suites (test code at -O1 with Eigen's
# assertions live), the command-line contracts on the example programs as users build them
# (-O3), the MPI tests, the install test and the layers check (tests/CMakeLists.txt).
test: deps python-env build-tests
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# What CI runs: `make test`, then every library suite (slow ones included) under ASan + UBSan in
# a second build, and the CUDA backend's logic on the host (tests/gpu/host_emulation).
check: test asan host-emulation
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)

# One folder's tests, e.g. `make test-box BOX=dynamics` (its slow suites, test_<box>_slow from
# its *_slow.cpp files, included), in the Release build.
test-box: configure
	cmake --build $(BUILD) -j $(JOBS) --target test_$(BOX) $(if $(wildcard tests/$(BOX)/*_slow.cpp),test_$(BOX)_slow)
	cd $(BUILD) && ctest --output-on-failure -R '^$(BOX)(_slow)?$$'

bench: deps configure
	cmake --build $(BUILD) -j $(JOBS) --target shiftcurv_benchmarks

deps:
	@sh tools/install-deps.sh $(BUILD_PACKAGES)

# The virtual environment of the Python package (system site packages: Debian's numpy/torch).
python-env:
	@sh tools/install-deps.sh $(PYTHON_PACKAGES)
	@if [ ! -x $(VENV)/bin/python ]; then \
	  echo "shiftcurv: creating $(VENV) (nanobind, scikit-build-core from PyPI)"; \
	  $(SYSTEM_PYTHON) -m venv --system-site-packages $(VENV) && \
	  $(VENV)/bin/pip install -q --disable-pip-version-check $(PY_PIP_PACKAGES) || { rm -rf $(VENV); exit 1; }; \
	fi

demo-deps:
	@sh tools/install-deps.sh $(BUILD_PACKAGES)
	@sh tools/install-deps.sh --optional $(DEMO_PACKAGES)

configure:
	cmake -S . -B $(BUILD) $(call GENERATOR,$(BUILD)) -DCMAKE_BUILD_TYPE=Release -DSHIFTCURV_WARNINGS_AS_ERRORS=$(WERROR) \
	      $(CUDA_CONFIG) $(PY_CONFIG)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

build-tests: configure
	cmake --build $(BUILD) -j $(JOBS) --target shiftcurv_test_programs

# The demo needs only its program (tests and benchmarks are built by `make test`).
build-demo: configure
	cmake --build $(BUILD) -j $(JOBS) --target synthetic_basins

# ASan + UBSan over every library test box and its slow suites (not tests/cli, whose programs
# the plain build checks).  Built at -Og without NDEBUG, so Eigen's own size/index assertions
# are live too (-Og compiles in about 60% of -O1's time with the sanitizers on; the UBSan checks
# left out for compile time are listed in CMakeLists.txt).
asan: asan-configure
	cmake --build $(ASAN_BUILD) -j $(JOBS) --target shiftcurv_test_programs

asan-configure:
	cmake -S . -B $(ASAN_BUILD) $(call GENERATOR,$(ASAN_BUILD)) -DCMAKE_BUILD_TYPE= -DCMAKE_CXX_FLAGS=-Og -DSHIFTCURV_SANITIZE=ON \
	      -DSHIFTCURV_BUILD_EXAMPLES=ON -DSHIFTCURV_BUILD_BENCHMARKS=OFF \
	      -DSHIFTCURV_WARNINGS_AS_ERRORS=$(WERROR)

# The CUDA backend's kernels and cuBLAS calls emulated on the host (no GPU, no nvcc needed).
host-emulation:
	@sh tools/install-deps.sh python3 g++
	BUILD=$(CURDIR)/$(BUILD)/gpu-emu bash tests/gpu/host_emulation/run.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

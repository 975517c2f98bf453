# islet: `make run` serves examples/hello at http://127.0.0.1:8787, `make test` builds and runs every test.
# Both install what is missing first (scripts/setup.sh), so they work on a fresh Debian 12 machine.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all setup build run test bench clean

all: build

setup:
	@bash scripts/setup.sh

$(BUILD)/build.ninja: CMakeLists.txt | setup
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: setup $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/islet dev examples/hello

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	bash bench/hello/run.sh
	bash bench/hono/run.sh
	bash bench/url/run.sh
	bash bench/wasm/run.sh
	bash bench/density/run.sh
	python3 bench/streaming/bench.py

clean:
	rm -rf $(BUILD)

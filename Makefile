# scythe: build, test, demo.
#   make        the release binary (target/x86_64-unknown-linux-musl/release/scythe)
#   make demo   scythe as PID 1 of a new PID namespace, stopping a real workload
#   make test   unit tests, then integration tests against the release binary
#   make lint   rustfmt and clippy, as CI runs them

TARGET ?= x86_64-unknown-linux-musl
BIN := target/$(TARGET)/release/scythe

.PHONY: all build toolchain test unit-test integration-test lint demo clean

all: build

# rust-toolchain.toml names the toolchain, components and targets; this
# installs whatever of them the machine lacks (a no-op when all are there).
toolchain:
	@rustup toolchain install >/dev/null

# llvm-objcopy from rustup's llvm-tools: the kernel reads program headers
# only, so the section headers go too (what `sstrip` does).
OBJCOPY = $(shell rustc --print sysroot)/lib/rustlib/$(shell rustc -vV | sed -n 's/^host: //p')/bin/llvm-objcopy

build: toolchain
	cargo build --release --target $(TARGET) --bin scythe
	$(OBJCOPY) --strip-sections $(BIN)

test: build unit-test integration-test

unit-test: toolchain
	cargo test --package scythe --lib

# The integration tests run the release binary as PID 1 and as a subreaper.
integration-test: build
	SCYTHE_BIN=$(CURDIR)/$(BIN) cargo test --package scythe-tests

lint: toolchain
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy --release --target $(TARGET) --bin scythe -- -D warnings

demo: build
	@sh demo/run.sh $(BIN)

clean:
	cargo clean

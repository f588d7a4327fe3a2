# scythe: build, test, demo.
#   make        the release binary (target/x86_64-unknown-linux-musl/release/scythe)
#   make demo   scythe as PID 1 of a new PID namespace, stopping a real workload
#   make demo-java  a Java service behind a shell that does not exec, stopped
#               with no init, with tini's conventions, and with scythe
#   make test   unit tests, then integration tests against the release binary
#   make lint   rustfmt and clippy, as CI runs them
#   make dist   scythe for every architecture, in dist/, with SHA256SUMS
#   make image  the OCI images localhost/scythe and localhost/scythe-demo (ENGINE=podman|docker)
#   make bench  scythe against tini, dumb-init and catatonit: bench/RESULTS.md
#   make fuzz   the parsers' property tests, with many more cases (FUZZ_CASES)
#   make soak   signals and orphans for minutes on end (SOAK_SECONDS)

TARGET ?= x86_64-unknown-linux-musl
OUT := $(or $(CARGO_TARGET_DIR),target)
BIN := $(OUT)/$(TARGET)/release/scythe

.PHONY: all build toolchain test unit-test integration-test arch-test runtime-test docker-test \
	dist reproducible no-panic host-build image bench fuzz soak lint demo demo-java clean

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

# Every architecture a container runs on, as `dist/scythe-ARCH`, ARCH being
# the image platform's ${TARGETARCH}${TARGETVARIANT}. A libc-free binary does
# not care which libc its triple names, so the -gnu triples serve where rustup
# ships no musl one.
DIST := amd64:x86_64-unknown-linux-musl arm64:aarch64-unknown-linux-musl \
	386:i686-unknown-linux-musl armv7:armv7-unknown-linux-gnueabihf \
	riscv64:riscv64gc-unknown-linux-gnu

test: build unit-test integration-test arch-test reproducible runtime-test docker-test no-panic \
	host-build

unit-test: toolchain
	cargo test --package scythe --lib

# The integration tests run the release binary as PID 1 and as a subreaper.
# hostile: bad start conditions; storm: 100,000 signals, 100,000 orphans.
integration-test: build
	SCYTHE_BIN=$(abspath $(BIN)) cargo test --package scythe-tests \
		--test core --test names --test shutdown --test hostile --test storm --test handover

# Both storms at once against one scythe, for SOAK_SECONDS.
SOAK_SECONDS ?= 180
soak: build
	SOAK_SECONDS=$(SOAK_SECONDS) SCYTHE_BIN=$(abspath $(BIN)) cargo test \
		--package scythe-tests --test storm soak -- --ignored --nocapture

dist: toolchain
	@rm -rf dist && mkdir -p dist
	@for pair in $(DIST); do \
		arch=$${pair%%:*}; triple=$${pair#*:}; \
		cargo build --quiet --release --target $$triple --bin scythe || exit 1; \
		cp $(OUT)/$$triple/release/scythe dist/scythe-$$arch; \
		$(OBJCOPY) --strip-sections dist/scythe-$$arch; \
	done
	cd dist && sha256sum scythe-* > SHA256SUMS && cat SHA256SUMS

# Tests that mount (binfmt_misc, a cgroup hierarchy) or start daemons run in
# a mount namespace of their own: whatever they mount ends with them.
PRIVATE_MOUNTS := unshare --mount --propagation private

# The same checks on every file of dist/, foreign ones under qemu-user.
arch-test: dist
	$(PRIVATE_MOUNTS) sh tests/with-qemu.sh sh -c 'for file in dist/scythe-*; do \
		echo "== $$file"; \
		SCYTHE_BIN=$(CURDIR)/$$file cargo test --quiet --package scythe-tests --test arch || exit 1; \
	done'

# Two builds from scratch, in separate target directories, must give the
# same bytes.
reproducible: dist
	sh tests/reproducible.sh

# The property tests of every parser (src/properties.rs), at length.
FUZZ_CASES ?= 200000
fuzz: toolchain
	PROPTEST_CASES=$(FUZZ_CASES) cargo test --release --package scythe --lib properties

# What a Rust user types first, `cargo build --release`, builds a working
# scythe for the host too (target/release/scythe: not the release binary,
# which is built with the product's flags; see build.rs).
host-build:
	cargo build --quiet --release --bin scythe
	$(OUT)/release/scythe -- sh -c 'exit 3'; test $$? = 3

# No reachable panic in any build (an unstripped one is inspected).
no-panic: toolchain
	sh tests/no-panic.sh

# With podman if it is installed, else docker (the daemon DOCKER_HOST names);
# ENGINE=docker or ENGINE=podman picks one.
ENGINE ?=
image: dist
	ENGINE=$(ENGINE) sh tests/runtime/build-images.sh localhost/scythe

# scythe inside real runtimes: podman, crun, bubblewrap.
runtime-test: dist
	SCYTHE_BIN=$(abspath dist/scythe-amd64) $(PRIVATE_MOUNTS) \
		cargo test --package scythe-tests --test runtime

# scythe under Docker Engine and containerd (docker build, ENTRYPOINT and
# --init, stop, kill, -it, exec, the drain, ctr run, the Java service),
# against a dockerd and a containerd the test starts and stops (about 25 s).
docker-test: dist
	SCYTHE_BIN=$(abspath dist/scythe-amd64) $(PRIVATE_MOUNTS) \
		cargo test --package scythe-tests --test docker

# Measured side by side with the other inits, in one run (about a minute).
bench: build
	sh bench/setup.sh
	cargo build --quiet --release --package scythe-bench
	$(OUT)/release/bench $(abspath $(BIN)) bench

lint: toolchain
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy --release --target $(TARGET) --bin scythe -- -D warnings

demo: build
	@sh demo/run.sh $(BIN)

demo-java: build
	@sh demo/java/demo.sh $(BIN)

clean:
	cargo clean
	rm -rf dist

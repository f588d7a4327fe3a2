//! Linker arguments for the scythe binary alone (not for build scripts or
//! test programs, which are ordinary std programs): shed every byte the
//! kernel does not need to run a static executable.

fn main() {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let script = format!("{manifest_dir}/src/discard.ld");
    println!("cargo:rerun-if-changed=src/discard.ld");
    for arg in [
        // No note the kernel ignores; no RELRO padding; no page-aligned
        // split between read-only data and code.
        "--build-id=none",
        "-znorelro",
        "-znoseparate-code",
        // Unwind tables serve panics that unwind; scythe aborts.
        "--no-eh-frame-hdr",
        &script,
    ] {
        println!("cargo:rustc-link-arg-bins={arg}");
    }
}

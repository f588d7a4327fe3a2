//! Linker arguments for the scythe binary alone (not for build scripts or
//! test programs, which are ordinary std programs): shed every byte the
//! kernel does not need to run a static executable.

fn main() {
    commit_for_version_line();
    // The product triples link with rust-lld (.cargo/config.toml); any other
    // target, as a plain `cargo build --release` on the host, with the C
    // compiler's driver, which is told the same in its own words.
    let lld = std::env::var("RUSTC_LINKER").is_ok_and(|linker| linker.ends_with("rust-lld"));
    let script = layout_script();
    let args: &[&str] = if lld {
        &[
            // No note the kernel ignores; no RELRO padding.
            "--build-id=none",
            "-znorelro",
            // Fold identical functions (generic copies, syscall wrappers).
            "--icf=all",
            // Unwind tables serve panics that unwind; scythe aborts.
            "--no-eh-frame-hdr",
            &script,
        ]
    } else {
        // No C library and no start files of one (scythe has its own
        // `_start`): a static, non-PIE executable.
        &["-nostartfiles", "-nostdlib", "-static", "-no-pie", "-Wl,--build-id=none", &script]
    };
    for arg in args {
        println!("cargo:rustc-link-arg-bins={arg}");
    }
}

/// The `-T` argument that names the linker script.
fn layout_script() -> String {
    println!("cargo:rerun-if-changed=src/layout.ld");
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    format!("-T{manifest_dir}/src/layout.ld")
}

/// The short commit hash, for the version line tools parse under some names
/// (`... - git.COMMIT`): from `SCYTHE_COMMIT` if set, else from git, else
/// `unknown`. Rebuilt when the checked-out commit changes.
fn commit_for_version_line() {
    println!("cargo:rerun-if-env-changed=SCYTHE_COMMIT");
    for path in [".git/HEAD", ".git/packed-refs"] {
        println!("cargo:rerun-if-changed={path}");
    }
    let head = std::fs::read_to_string(".git/HEAD").unwrap_or_default();
    if let Some(reference) = head.strip_prefix("ref: ") {
        println!("cargo:rerun-if-changed=.git/{}", reference.trim());
    }
    let commit = std::env::var("SCYTHE_COMMIT").ok().or_else(|| {
        let output = std::process::Command::new("git")
            .args(["rev-parse", "--short=7", "HEAD"])
            .output()
            .ok()
            .filter(|output| output.status.success())?;
        Some(String::from_utf8_lossy(&output.stdout).trim().to_string())
    });
    println!("cargo:rustc-env=SCYTHE_COMMIT={}", commit.unwrap_or_else(|| "unknown".into()));
}

//! Linker arguments for the scythe binary alone (not for build scripts or
//! test programs, which are ordinary std programs): shed every byte the
//! kernel does not need to run a static executable.

fn main() {
    commit_for_version_line();
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let script = format!("{manifest_dir}/src/discard.ld");
    println!("cargo:rerun-if-changed=src/discard.ld");
    for arg in [
        // No note the kernel ignores; no RELRO padding; no page-aligned
        // split between read-only data and code.
        "--build-id=none",
        "-znorelro",
        "-znoseparate-code",
        // Read-only data in the code segment: one program header fewer.
        "--no-rosegment",
        // Fold identical functions (generic copies, syscall wrappers).
        "--icf=all",
        // Unwind tables serve panics that unwind; scythe aborts.
        "--no-eh-frame-hdr",
        &script,
    ] {
        println!("cargo:rustc-link-arg-bins={arg}");
    }
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

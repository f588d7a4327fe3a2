//! Linker arguments for the scythe binary alone (not for build scripts or
//! test programs, which are ordinary std programs): shed every byte the
//! kernel does not need to run a static executable.

fn main() {
    commit_for_version_line();
    let script = layout_script();
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

/// The linker script, src/layout.ld, written out for this target: with its
/// read-write segment only where the target has writable data (see the
/// script). Returns the `-T` argument that names it.
fn layout_script() -> String {
    println!("cargo:rerun-if-changed=src/layout.ld");
    let layout = std::fs::read_to_string("src/layout.ld").expect("src/layout.ld");
    let has_data = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|arch| arch == "x86");
    let mut script: String = layout
        .lines()
        .filter(|line| has_data || !line.ends_with("/* DATA */"))
        .flat_map(|line| [line, "\n"])
        .collect();
    if !has_data {
        script = script.replace(":data", ":image");
        script.push_str(
            "ASSERT(SIZEOF(.data) + SIZEOF(.bss) == 0, \"writable data: see layout.ld\");\n",
        );
    }
    let path = std::path::Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("layout.ld");
    std::fs::write(&path, script).expect("write the linker script");
    format!("-T{}", path.display())
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

//! Error numbers scythe reports, in words, without a C library's strerror.

use linux_raw_sys::errno::*;

/// Exit status when COMMAND is not found, as shells use it.
pub const NOT_FOUND: u8 = 127;
/// Exit status when COMMAND is found but cannot be executed.
pub const CANNOT_EXECUTE: u8 = 126;

/// A short description of `errno`, as `strerror` would give it for the
/// errors `fork`, `execve` and friends return; for the rest, `error #`, a
/// template for [`Line::fill`](crate::line::Line::fill) to put the number in.
/// Packed (see `words`).
pub fn describe(errno: u32) -> &'static [u8] {
    // In bytes (the largest is 22): a quarter of the room.
    const NUMBERS: [u8; 6] =
        [EPERM as u8, ENOENT as u8, ENOEXEC as u8, EAGAIN as u8, EACCES as u8, EINVAL as u8];
    // One list, in the order of NUMBERS, and the template for the rest.
    const WORDS: &[u8] = crate::packed!(
        b"Operation not permitted\0No such file or directory\0Exec format error\0\
        Resource temporarily unavailable\0Permission denied\0Invalid argument\0error #\0"
    );
    let index = NUMBERS.iter().position(|&n| u32::from(n) == errno).unwrap_or(NUMBERS.len());
    crate::text::nth(WORDS, 0, index)
}

/// scythe's exit status when `execve` of COMMAND failed with `errno`.
pub fn exec_failure_status(errno: u32) -> u8 {
    match errno {
        ENOENT => NOT_FOUND,
        _ => CANNOT_EXECUTE,
    }
}

/// Whether an `execve` failure on one `PATH` entry means "try the next
/// one", as `execvp` does: the file is not there, or the directory cannot
/// be searched.
pub fn try_next_path_entry(errno: u32) -> bool {
    matches!(errno, ENOENT | ENOTDIR | EACCES | ENAMETOOLONG | ELOOP | ESTALE | ENODEV | ETIMEDOUT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shells_conventions_for_exec_failures() {
        assert_eq!(exec_failure_status(ENOENT), 127);
        assert_eq!(exec_failure_status(EACCES), 126);
        assert_eq!(exec_failure_status(ENOEXEC), 126);
        assert_eq!(exec_failure_status(ENOTDIR), 126);
    }

    #[test]
    fn common_errors_have_words() {
        use crate::words::unpacked;
        assert_eq!(unpacked(describe(ENOENT)), "No such file or directory");
        assert_eq!(unpacked(describe(EACCES)), "Permission denied");
        assert_eq!(unpacked(describe(9999)), "error #");
    }

    #[test]
    fn path_search_goes_on_only_past_missing_files() {
        assert!(try_next_path_entry(ENOENT));
        assert!(try_next_path_entry(EACCES));
        assert!(!try_next_path_entry(ENOEXEC));
        assert!(!try_next_path_entry(E2BIG));
    }
}

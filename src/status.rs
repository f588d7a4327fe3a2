//! How the main child's end becomes scythe's exit status.

/// How a child process ended, decoded from a raw `wait` status.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Ended {
    /// It called `exit` with this code.
    Exited(u8),
    /// This signal killed it.
    Killed(u8),
}

impl Ended {
    /// Decodes a raw wait status; `None` for a stop or continue report.
    pub fn from_wait_status(raw: u32) -> Option<Ended> {
        let low = (raw & 0x7f) as u8;
        match low {
            0 => Some(Ended::Exited((raw >> 8) as u8)),
            // 0x7f marks a stopped child (and 0xffff a continued one).
            0x7f => None,
            signal => Some(Ended::Killed(signal)),
        }
    }

    /// scythe's exit status for it: the child's own code, or 128+N for a
    /// child killed by signal N, as shells report it.
    pub fn exit_code(self) -> u8 {
        match self {
            Ended::Exited(code) => code,
            Ended::Killed(signal) => 128u8.wrapping_add(signal),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exits_pass_through() {
        for code in 0..=255u8 {
            let ended = Ended::from_wait_status(u32::from(code) << 8);
            assert_eq!(ended, Some(Ended::Exited(code)));
            assert_eq!(ended.unwrap().exit_code(), code);
        }
    }

    #[test]
    fn deaths_by_signal_are_128_plus_n() {
        assert_eq!(Ended::from_wait_status(15), Some(Ended::Killed(15)));
        assert_eq!(Ended::Killed(15).exit_code(), 143);
        assert_eq!(Ended::Killed(9).exit_code(), 137);
        // A core dump sets bit 7; the signal is still SIGSEGV.
        assert_eq!(Ended::from_wait_status(0x80 | 11), Some(Ended::Killed(11)));
        assert_eq!(Ended::Killed(11).exit_code(), 139);
    }

    #[test]
    fn stops_and_continues_are_not_ends() {
        assert_eq!(Ended::from_wait_status(0x137f), None);
        assert_eq!(Ended::from_wait_status(0xffff), None);
    }
}

//! The system calls rustix's public API does not offer, made directly.
//!
//! rustix keeps `sigprocmask`, `sigtimedwait`, `sigaction`, `fork`, `execve`
//! and `exit_group` in a module meant for C-library implementations, hidden
//! on purpose and renamed between releases, so scythe makes those few calls
//! itself: through [`syscall`], one block of instructions per architecture
//! below, typed with linux-raw-sys's numbers and structs. Everything else
//! goes through rustix.

use core::ffi::CStr;
use core::mem::MaybeUninit;

use linux_raw_sys::ctypes::c_int;
use linux_raw_sys::general::{
    __NR_clone, __NR_close, __NR_close_range, __NR_execve, __NR_exit_group, __NR_getpgid,
    __NR_getsid, __NR_kill, __NR_openat, __NR_read, __NR_rt_sigaction, __NR_rt_sigprocmask,
    __kernel_timespec, AT_FDCWD, CLOCK_MONOTONIC, O_CLOEXEC, O_RDONLY, SIG_SETMASK,
    kernel_sigaction,
};
use linux_raw_sys::ioctl::{TIOCGPGRP, TIOCNOTTY};
use rustix::fd::BorrowedFd;
use rustix::io::Errno;
use rustix::ioctl::{Getter, NoArg, Opcode};
use rustix::process::Pid;
use scythe::signal::{SIGCHLD, SigSet};

use linux_raw_sys::general::{__NR_clock_gettime, __NR_rt_sigtimedwait};
#[cfg(target_pointer_width = "32")]
use linux_raw_sys::general::{
    __NR_clock_gettime64, __NR_rt_sigtimedwait_time64, __kernel_old_timespec,
};

/// The kernel's sigset is 64 bits on every target scythe builds for.
const SIGSET_SIZE: usize = core::mem::size_of::<u64>();

/// Replaces the signal mask; returns the previous one.
pub fn set_signal_mask(mask: SigSet) -> SigSet {
    let new = mask.bits();
    let mut old = 0u64;
    // SAFETY: both pointers are to live u64s, the size the kernel is told; the
    // call cannot fail with SIG_SETMASK and valid pointers.
    unsafe {
        syscall(
            __NR_rt_sigprocmask,
            [SIG_SETMASK as usize, &raw const new as usize, &raw mut old as usize, SIGSET_SIZE],
        );
    }
    SigSet::from_bits(old)
}

/// Takes the next pending signal of `set` (which must be blocked), waiting
/// for one at most `timeout_ms` milliseconds, forever if `None`. `EAGAIN`
/// means the time ran out, `EINTR` that a stop and continue interrupted it.
pub fn take_signal(set: SigSet, timeout_ms: Option<u32>) -> Result<u8, Errno> {
    let bits = set.bits();
    let mut timeout = timeout_ms.map(|ms| Timespec::new(ms / 1000, (ms % 1000) * 1_000_000));
    let taken = timed(
        __NR_rt_sigtimedwait,
        |number, timeout| {
            // SAFETY: `bits` is a live sigset of the size given, the siginfo
            // pointer may be null, and `timeout` is null or a live timespec of
            // the layout `number` takes.
            unsafe { syscall(number, [&raw const bits as usize, 0, timeout, SIGSET_SIZE]) }
        },
        timeout.as_mut(),
    );
    check(taken).map(|signal| signal as u8)
}

/// Milliseconds on the monotonic clock, for deadlines.
pub fn now_ms() -> u64 {
    let mut now = Timespec::new(0, 0);
    timed(
        __NR_clock_gettime,
        |number, now| {
            // SAFETY: `now` is a live timespec of the layout `number` takes;
            // CLOCK_MONOTONIC always exists, so the call cannot fail but for
            // being refused, when the other call is made.
            unsafe { syscall(number, [CLOCK_MONOTONIC as usize, now]) }
        },
        Some(&mut now),
    );
    now.milliseconds()
}

/// A `timespec` as the kernel takes it: 64-bit on 64-bit targets. On 32-bit
/// ones, the plain calls take one of 32-bit fields (`__kernel_old_timespec`),
/// and those hold all scythe passes: a relative timeout of less than 50
/// days, the monotonic clock (time since boot). Linux 5.1 added `*_time64`
/// calls with 64-bit fields, and kernels built without 32-bit time refuse
/// the plain ones: there [`timed`] makes the other call.
#[cfg(target_pointer_width = "64")]
type Timespec = __kernel_timespec;
#[cfg(target_pointer_width = "32")]
type Timespec = __kernel_old_timespec;

trait Milliseconds {
    fn new(seconds: u32, nanoseconds: u32) -> Self;
    fn milliseconds(&self) -> u64;
}

impl Milliseconds for Timespec {
    fn new(seconds: u32, nanoseconds: u32) -> Self {
        Timespec { tv_sec: seconds as _, tv_nsec: nanoseconds as _ }
    }

    fn milliseconds(&self) -> u64 {
        // (No 64-bit division: 32-bit targets would need a library routine.)
        u64::from(self.tv_sec as u32) * 1000 + u64::from(self.tv_nsec as u32 / 1_000_000)
    }
}

/// Makes the system call `call` does, numbered `plain`, with a pointer to
/// `time` (or null). On 64-bit targets that is all. On 32-bit ones, if the
/// kernel refuses it (`ENOSYS`, or `EPERM` from a seccomp policy), the
/// `*_time64` call of the same job is made with a 64-bit copy of `time`,
/// copied back. The plain call goes first, as in rustix: a seccomp policy
/// older than the time64 calls may kill a process that makes one.
fn timed(plain: u32, call: impl Fn(u32, usize) -> isize, mut time: Option<&mut Timespec>) -> isize {
    let pointer = time.as_mut().map_or(0, |time| &raw mut **time as usize);
    let result = call(plain, pointer);
    #[cfg(target_pointer_width = "32")]
    if let Err(Errno::NOSYS | Errno::PERM) = check(result) {
        let time64 = if plain == __NR_rt_sigtimedwait {
            __NR_rt_sigtimedwait_time64
        } else {
            __NR_clock_gettime64
        };
        let mut wide = time
            .as_deref()
            .map(|t| __kernel_timespec { tv_sec: t.tv_sec.into(), tv_nsec: t.tv_nsec.into() });
        let pointer = wide.as_mut().map_or(0, |wide| wide as *mut __kernel_timespec as usize);
        let result = call(time64, pointer);
        if let (Some(time), Some(wide)) = (time, wide) {
            *time = Timespec::new(wide.tv_sec as u32, wide.tv_nsec as u32);
        }
        return result;
    }
    result
}

/// `SIG_DFL` and `SIG_IGN` as the kernel spells them (scythe installs no
/// handlers: it takes every signal with [`take_signal`]).
const SIG_DFL: usize = 0;
const SIG_IGN: usize = 1;

/// Gives `signal` its default disposition; returns whether it was ignored.
/// `Err` for SIGKILL and SIGSTOP, whose dispositions never change.
pub fn reset_disposition(signal: u8) -> Result<bool, Errno> {
    sigaction(signal, SIG_DFL).map(|previous| previous == SIG_IGN)
}

/// Makes the process ignore `signal`.
pub fn ignore(signal: u8) -> Result<(), Errno> {
    sigaction(signal, SIG_IGN).map(drop)
}

/// Sets `signal`'s handler to `SIG_DFL` or `SIG_IGN`; returns the old one.
// tools/inline.py: smaller inlined.
#[inline(always)]
fn sigaction(signal: u8, handler: usize) -> Result<usize, Errno> {
    let mut new = MaybeUninit::<kernel_sigaction>::zeroed();
    let mut old = MaybeUninit::<kernel_sigaction>::zeroed();
    // SAFETY: the handler is the first field of `kernel_sigaction` on every
    // architecture, and SIG_DFL and SIG_IGN are plain integers there; the
    // rest stays zero (no flags, empty mask).
    unsafe { new.as_mut_ptr().cast::<usize>().write(handler) };
    // SAFETY: both pointers are to live structs of the kernel's layout, and
    // the sigset size is the kernel's.
    let result = unsafe {
        syscall(
            __NR_rt_sigaction,
            [usize::from(signal), new.as_ptr() as usize, old.as_mut_ptr() as usize, SIGSET_SIZE],
        )
    };
    check(result)?;
    // SAFETY: as above; the kernel has filled the struct in.
    Ok(unsafe { old.as_ptr().cast::<usize>().read() })
}

/// `fork()`: `Ok(None)` in the child, `Ok(Some(pid))` in the parent.
pub fn fork() -> Result<Option<Pid>, Errno> {
    // `clone(SIGCHLD)` with no other flags and no new stack is `fork()` on
    // every architecture (aarch64 and riscv64 have no `fork` call), whatever
    // order the remaining arguments take there: they are all zero.
    // SAFETY: a fork duplicates this single-threaded process; the child runs
    // on its own copy of the stack and memory.
    let pid = unsafe { syscall(__NR_clone, [usize::from(SIGCHLD), 0, 0, 0, 0]) };
    Ok(Pid::from_raw(check(pid)? as i32))
}

/// `execve`; returns only on failure.
///
/// # Safety
/// `path` must be a NUL-terminated string; `argv` and `envp` NULL-terminated
/// arrays of NUL-terminated strings.
// tools/inline.py: smaller inlined.
#[inline(always)]
pub unsafe fn execve(path: *const u8, argv: *const *const u8, envp: *const *const u8) -> Errno {
    // SAFETY: the caller vouches for the three pointers.
    let result = unsafe { syscall(__NR_execve, [path as usize, argv as usize, envp as usize]) };
    check(result).err().unwrap_or(Errno::INVAL)
}

/// `kill(-1, signal)`: every process this one may signal but itself: as PID
/// 1 of a PID namespace, every other process in it. (rustix's `Pid` cannot
/// be -1.)
pub fn kill_everyone(signal: u8) -> Result<(), Errno> {
    // SAFETY: kill takes no pointers.
    check(unsafe { syscall(__NR_kill, [usize::MAX, usize::from(signal)]) }).map(drop)
}

/// Ends the process (every thread of it, though scythe has only one).
// tools/inline.py: smaller out of line.
#[inline(never)]
pub fn exit(code: u8) -> ! {
    // SAFETY: exit_group takes no pointers and does not return.
    unsafe {
        syscall(__NR_exit_group, [usize::from(code)]);
        // SAFETY: exit_group cannot fail, so it never returns here.
        core::hint::unreachable_unchecked()
    }
}

/// This process's group id as its PID namespace numbers it: 0 when the
/// group's leader lies outside the namespace, as when `unshare --fork`
/// starts scythe. (rustix's `getpgrp` assumes a nonzero id.)
pub fn process_group() -> i32 {
    // SAFETY: getpgid takes no pointers and cannot fail for the caller itself.
    unsafe { syscall(__NR_getpgid, [0]) as i32 }
}

/// This process's session id, numbered as [`process_group`] numbers groups
/// (so 0 when the session began outside scythe's PID namespace).
pub fn session() -> i32 {
    // SAFETY: getsid takes no pointers and cannot fail for the caller itself.
    unsafe { syscall(__NR_getsid, [0]) as i32 }
}

/// `ioctl(fd, TIOCNOTTY)`: gives up the controlling terminal open on `fd`.
/// In a session leader this also ends the session's hold on it, and the
/// kernel sends SIGHUP and SIGCONT to the terminal's foreground group.
pub fn give_up_terminal(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    // SAFETY: TIOCNOTTY takes no argument.
    unsafe { rustix::ioctl::ioctl(fd, NoArg::<{ TIOCNOTTY as Opcode }>::new()) }
}

/// The foreground process group of the controlling terminal open on `fd`,
/// numbered as [`process_group`] numbers groups (so possibly 0). Fails when
/// `fd` is not this process's controlling terminal. (rustix's `tcgetpgrp`
/// refuses 0.)
pub fn foreground_group(fd: BorrowedFd<'_>) -> Result<i32, Errno> {
    // SAFETY: TIOCGPGRP writes one pid_t, which the Getter provides.
    unsafe { rustix::ioctl::ioctl(fd, Getter::<{ TIOCGPGRP as Opcode }, c_int>::new()) }
}

/// Whether this process is in the foreground of its controlling terminal,
/// open on stdin. Process group ids cannot tell when both groups began
/// outside scythe's PID namespace (both read as 0, as under `unshare
/// --fork`), so the terminal says: an empty read from it fails with EIO in
/// a background group that blocks SIGTTIN, as scythe does, and reads
/// nothing, at once, in the foreground. (Not the terminal at all: false.)
pub fn in_foreground() -> bool {
    foreground_group(stdin()).is_ok() && rustix::io::read(stdin(), &mut [0u8; 0]).is_ok()
}

/// Reads the file at `path` a chunk at a time, giving each to `each`;
/// false if it cannot be opened (no /proc, say). Not through rustix: its
/// descriptor types assert on a value the kernel never returns, and that
/// assertion alone would bring the panic machinery into a binary that
/// otherwise has none.
pub fn read_file(path: &CStr, each: &mut dyn FnMut(&[u8])) -> bool {
    let flags = (O_RDONLY | O_CLOEXEC) as usize;
    // SAFETY: `path` is NUL-terminated; AT_FDCWD is the kernel's own value.
    let opened =
        unsafe { syscall(__NR_openat, [AT_FDCWD as usize, path.as_ptr() as usize, flags]) };
    let Ok(fd) = check(opened) else { return false };
    // (Not cleared first: only what the kernel wrote is handed over.)
    let mut buffer = [MaybeUninit::<u8>::uninit(); 512];
    loop {
        // SAFETY: the kernel writes at most the buffer's length into it.
        let read = unsafe { syscall(__NR_read, [fd, buffer.as_mut_ptr() as usize, buffer.len()]) };
        match check(read) {
            Ok(0) => break,
            // SAFETY: the kernel wrote `count` bytes, at most the length.
            Ok(count) => {
                each(unsafe { core::slice::from_raw_parts(buffer.as_ptr().cast(), count) })
            }
            Err(Errno::INTR) => {}
            Err(_) => break,
        }
    }
    // SAFETY: closing the descriptor opened above.
    unsafe { syscall(__NR_close, [fd]) };
    true
}

/// Closes every descriptor above 2: scythe's copies of what it inherited,
/// which COMMAND has too (a listening socket scythe held would go on
/// accepting connections after COMMAND closed it; a pipe's reader would
/// never see its end). `close_range` does it in one call (Linux 5.9); where
/// it is missing or refused, each number below [`CLOSE_ONE_BY_ONE`] is
/// closed in turn.
pub fn close_above_stderr() {
    // SAFETY: close_range takes no pointers, and scythe uses no descriptor
    // above 2 once COMMAND runs.
    let closed = unsafe { syscall(__NR_close_range, [3, u32::MAX as usize, 0]) };
    if check(closed).is_err() {
        for fd in 3..CLOSE_ONE_BY_ONE {
            // SAFETY: as above.
            unsafe { syscall(__NR_close, [fd]) };
        }
    }
}

/// Where closing one descriptor at a time stops: a few milliseconds of
/// calls, and far above what a runtime hands an init (runc, crun and
/// podman close the rest, and pass a few from 3 on).
const CLOSE_ONE_BY_ONE: usize = 1 << 16;

/// Standard input, for terminal calls.
pub fn stdin() -> BorrowedFd<'static> {
    standard_fd(0)
}

/// A standard descriptor (0, 1 or 2).
pub fn standard_fd(fd: i32) -> BorrowedFd<'static> {
    // SAFETY: scythe never closes its standard descriptors; if one was closed
    // before scythe started, calls on it fail with EBADF, which every caller
    // accepts.
    unsafe { BorrowedFd::borrow_raw(fd) }
}

/// Turns the kernel's "negative errno" convention into a `Result`.
fn check(result: isize) -> Result<usize, Errno> {
    if (-4095..0).contains(&result) {
        Err(Errno::from_raw_os_error(-result as i32))
    } else {
        Ok(result as usize)
    }
}

/// The system call `number` with `args`, as many as it takes (at most 5).
/// The registers of the others are left as they are, since the kernel reads
/// only those of the arguments a call has: each architecture's `raw` below
/// has a block for 1, 3 and 5 arguments, and a call takes the smallest that
/// holds its own, the extra ones zero. (Setting every register for every
/// call cost each build 12 to 112 bytes.)
///
/// # Safety
/// The arguments must be what the call takes (pointers to live memory of
/// the layout it reads or writes).
unsafe fn syscall<const N: usize>(number: u32, args: [usize; N]) -> isize {
    const { assert!(N <= 5, "a system call takes at most 5 arguments here") };
    let arg = |at: usize| args.get(at).copied().unwrap_or(0);
    // SAFETY: the caller vouches for the arguments of this system call.
    unsafe { raw(number as usize, N, [arg(0), arg(1), arg(2), arg(3), arg(4)]) }
}

/// x86_64: number in `rax`, arguments in `rdi rsi rdx r10 r8`; the kernel
/// clobbers `rcx` and `r11` (System V psABI, appendix A.2).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn raw(number: usize, count: usize, [a0, a1, a2, a3, a4]: [usize; 5]) -> isize {
    use core::arch::asm;
    let result;
    // SAFETY: the caller vouches for the arguments of this system call.
    unsafe {
        match count {
            0 | 1 => asm!(
                "syscall",
                inlateout("rax") number as isize => result,
                in("rdi") a0,
                lateout("rcx") _, lateout("r11") _,
                options(nostack, preserves_flags),
            ),
            2 | 3 => asm!(
                "syscall",
                inlateout("rax") number as isize => result,
                in("rdi") a0, in("rsi") a1, in("rdx") a2,
                lateout("rcx") _, lateout("r11") _,
                options(nostack, preserves_flags),
            ),
            _ => asm!(
                "syscall",
                inlateout("rax") number as isize => result,
                in("rdi") a0, in("rsi") a1, in("rdx") a2, in("r10") a3, in("r8") a4,
                lateout("rcx") _, lateout("r11") _,
                options(nostack, preserves_flags),
            ),
        }
    }
    result
}

/// `raw` for the architectures that take the number in a register of its
/// own and return the result in the first argument's: `$instruction` with
/// the number in `$number` and the arguments in `$args`.
#[cfg(any(target_arch = "aarch64", target_arch = "riscv64"))]
macro_rules! raw_in_registers {
    ($instruction:literal, $number:tt, [$r0:tt, $r1:tt, $r2:tt, $r3:tt, $r4:tt]) => {
        #[inline(always)]
        unsafe fn raw(number: usize, count: usize, [a0, a1, a2, a3, a4]: [usize; 5]) -> isize {
            use core::arch::asm;
            let result;
            // SAFETY: the caller vouches for the arguments of this system call.
            unsafe {
                match count {
                    0 | 1 => asm!(
                        $instruction,
                        in($number) number,
                        inlateout($r0) a0 as isize => result,
                        options(nostack, preserves_flags),
                    ),
                    2 | 3 => asm!(
                        $instruction,
                        in($number) number,
                        inlateout($r0) a0 as isize => result,
                        in($r1) a1, in($r2) a2,
                        options(nostack, preserves_flags),
                    ),
                    _ => asm!(
                        $instruction,
                        in($number) number,
                        inlateout($r0) a0 as isize => result,
                        in($r1) a1, in($r2) a2, in($r3) a3, in($r4) a4,
                        options(nostack, preserves_flags),
                    ),
                }
            }
            result
        }
    };
}

// aarch64: number in `x8`, arguments in `x0`-`x4`, result in `x0`; `svc 0`
// (Linux arm64 syscall ABI).
#[cfg(target_arch = "aarch64")]
raw_in_registers!("svc 0", "x8", ["x0", "x1", "x2", "x3", "x4"]);

// riscv64: number in `a7`, arguments in `a0`-`a4`, result in `a0`; `ecall`
// (RISC-V Linux syscall ABI).
#[cfg(target_arch = "riscv64")]
raw_in_registers!("ecall", "a7", ["a0", "a1", "a2", "a3", "a4"]);

/// 32-bit Arm, EABI: number in `r7`, arguments in `r0`-`r4`, result in
/// `r0`; `svc 0` (Linux arm EABI). scythe builds in Thumb mode, where r7 is
/// the frame pointer and cannot be named as an operand: it is saved and
/// restored around the call (as rustix does).
#[cfg(target_arch = "arm")]
#[inline(always)]
unsafe fn raw(number: usize, count: usize, [a0, a1, a2, a3, a4]: [usize; 5]) -> isize {
    use core::arch::asm;
    let result;
    // SAFETY: the caller vouches for the arguments of this system call; r7
    // is restored before each block ends.
    unsafe {
        match count {
            0 | 1 => asm!(
                "mov {saved}, r7", "mov r7, {number}", "svc 0", "mov r7, {saved}",
                number = in(reg) number,
                saved = out(reg) _,
                inlateout("r0") a0 as isize => result,
                options(nostack, preserves_flags),
            ),
            2 | 3 => asm!(
                "mov {saved}, r7", "mov r7, {number}", "svc 0", "mov r7, {saved}",
                number = in(reg) number,
                saved = out(reg) _,
                inlateout("r0") a0 as isize => result,
                in("r1") a1, in("r2") a2,
                options(nostack, preserves_flags),
            ),
            _ => asm!(
                "mov {saved}, r7", "mov r7, {number}", "svc 0", "mov r7, {saved}",
                number = in(reg) number,
                saved = out(reg) _,
                inlateout("r0") a0 as isize => result,
                in("r1") a1, in("r2") a2, in("r3") a3, in("r4") a4,
                options(nostack, preserves_flags),
            ),
        }
    }
    result
}

/// i686: number in `eax`, arguments in `ebx ecx edx esi edi`; `int 0x80`.
/// LLVM keeps `esi` for itself, so the fourth argument is swapped in and
/// out around the call (as rustix does).
#[cfg(target_arch = "x86")]
#[inline(always)]
unsafe fn raw(number: usize, count: usize, [a0, a1, a2, a3, a4]: [usize; 5]) -> isize {
    use core::arch::asm;
    let result;
    // SAFETY: the caller vouches for the arguments of this system call;
    // esi is restored before the block ends.
    unsafe {
        match count {
            0 | 1 => asm!(
                "int 0x80",
                inlateout("eax") number as isize => result,
                in("ebx") a0,
                options(nostack, preserves_flags),
            ),
            2 | 3 => asm!(
                "int 0x80",
                inlateout("eax") number as isize => result,
                in("ebx") a0, in("ecx") a1, in("edx") a2,
                options(nostack, preserves_flags),
            ),
            _ => asm!(
                "xchg esi, {a3}", "int 0x80", "xchg esi, {a3}",
                a3 = in(reg) a3,
                inlateout("eax") number as isize => result,
                in("ebx") a0, in("ecx") a1, in("edx") a2, in("edi") a4,
                options(nostack, preserves_flags),
            ),
        }
    }
    result
}

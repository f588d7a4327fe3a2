//! What a C library would otherwise give scythe: the `_start` entry point,
//! a view of the arguments and environment the kernel put on the stack, the
//! memory functions LLVM may call, and the panic handler.

use scythe::environment::{Entry, Environment};
use scythe::options::Args;

/// The kernel starts a process with the stack pointer at `argc`, followed
/// by the `argv` pointers, a NULL, the `envp` pointers and a NULL. `_start`
/// hands that address to [`entry`] on an ABI-aligned stack.
#[cfg(target_arch = "x86_64")]
#[unsafe(naked)]
#[unsafe(no_mangle)]
unsafe extern "C" fn _start() -> ! {
    // System V x86-64 psABI, 3.4.1: %rsp holds argc; %rbp is cleared to mark
    // the outermost frame; calls need a 16-byte aligned stack.
    core::arch::naked_asm!(
        "xor ebp, ebp",
        "mov rdi, rsp",
        "and rsp, -16",
        "call {entry}",
        "ud2",
        entry = sym entry,
    )
}

#[cfg(target_arch = "aarch64")]
#[unsafe(naked)]
#[unsafe(no_mangle)]
unsafe extern "C" fn _start() -> ! {
    // AAPCS64: sp holds argc and is 16-byte aligned at entry; the frame
    // pointer and link register are cleared to end stack walks.
    core::arch::naked_asm!("mov x29, xzr", "mov x30, xzr", "mov x0, sp", "bl {entry}", "udf #0", entry = sym entry)
}

#[cfg(target_arch = "arm")]
#[unsafe(naked)]
#[unsafe(no_mangle)]
unsafe extern "C" fn _start() -> ! {
    // AAPCS: sp holds argc; calls need an 8-byte aligned stack (Thumb
    // cannot mask sp in place); lr is cleared to end stack walks.
    core::arch::naked_asm!(
        "mov r0, sp",
        "mov r1, sp",
        "bic r1, r1, #15",
        "mov sp, r1",
        "mov lr, #0",
        "bl {entry}",
        "udf #0",
        entry = sym entry,
    )
}

#[cfg(target_arch = "riscv64")]
#[unsafe(naked)]
#[unsafe(no_mangle)]
unsafe extern "C" fn _start() -> ! {
    // RISC-V psABI: sp holds argc and is 16-byte aligned; ra and fp are
    // cleared to end stack walks. (No gp: the link does no gp relaxation.)
    core::arch::naked_asm!(
        "li ra, 0",
        "li fp, 0",
        "mv a0, sp",
        "andi sp, sp, -16",
        "call {entry}",
        "unimp",
        entry = sym entry,
    )
}

#[cfg(target_arch = "x86")]
#[unsafe(naked)]
#[unsafe(no_mangle)]
unsafe extern "C" fn _start() -> ! {
    // i386 psABI: esp holds argc; ebp is cleared to mark the outermost
    // frame; the stack is 16-byte aligned at the call, argument on it.
    core::arch::naked_asm!(
        "xor ebp, ebp",
        "mov eax, esp",
        "and esp, -16",
        "sub esp, 12",
        "push eax",
        "call {entry}",
        "ud2",
        entry = sym entry,
    )
}

/// Reads `argc`, `argv` and `envp` off the initial stack and runs scythe.
unsafe extern "C" fn entry(stack: *const usize) -> ! {
    // SAFETY: `_start` passes the initial stack pointer, laid out by the
    // kernel as described there.
    let process = unsafe {
        let argc = *stack;
        let argv = stack.add(1).cast::<*const u8>();
        Process { argc, argv, envp: argv.add(argc + 1) }
    };
    // SAFETY: envp is the kernel's, followed by the auxiliary vector, as
    // rustix expects; nothing has made a system call through rustix yet.
    #[cfg(target_arch = "x86")]
    unsafe {
        rustix::param::init(process.envp.cast_mut().cast())
    };
    crate::main(process)
}

/// The arguments and environment scythe was started with. The strings live
/// as long as the process does, so they are handed out as `'static`.
pub struct Process {
    argc: usize,
    argv: *const *const u8,
    envp: *const *const u8,
}

impl Process {
    /// argv\[0\], the name scythe was run as (empty if the caller gave none).
    pub fn name(&self) -> &'static [u8] {
        self.arg(0).unwrap_or_default()
    }

    /// The arguments after argv\[0\].
    pub fn args(&self) -> ArgsAfterName<'_> {
        ArgsAfterName(self)
    }

    fn arg(&self, index: usize) -> Option<&'static [u8]> {
        // SAFETY: indexes below argc are valid argv entries, each a
        // NUL-terminated string the kernel copied onto the stack.
        (index < self.argc).then(|| unsafe { c_bytes(*self.argv.add(index)) })
    }

    /// The arguments after argv\[0\] from `index` on (the index [`args`]
    /// uses), as `execve` wants them: a NULL-terminated array.
    ///
    /// [`args`]: Process::args
    pub fn argv_from(&self, index: usize) -> *const *const u8 {
        // SAFETY: the array holds argc pointers and a NULL, and the index is
        // clamped to that NULL at most.
        unsafe { self.argv.add(index.saturating_add(1).min(self.argc)) }
    }

    pub fn envp(&self) -> *const *const u8 {
        self.envp
    }

    /// Reads the variables scythe may use into `environment`, picking them
    /// out of the environment in one pass (see `scythe::environment`).
    pub fn read_environment(&self, environment: &mut Environment<'static>) {
        let mut entry = self.envp;
        environment.read(core::iter::from_fn(|| {
            // SAFETY: envp is a NULL-terminated array; `entry` never steps
            // past its NULL.
            let pointer = unsafe { *entry };
            if pointer.is_null() {
                return None;
            }
            // SAFETY: as above, and the NULL is still ahead.
            entry = unsafe { entry.add(1) };
            Some(CString(pointer))
        }))
    }
}

/// An environment entry as the kernel left it: a NUL-terminated string that
/// lives as long as the process.
#[derive(Clone, Copy)]
struct CString(*const u8);

impl Entry<'static> for CString {
    unsafe fn byte(self, at: usize) -> u8 {
        // SAFETY: the caller has read no NUL before `at`, so `at` is within
        // the string (at its NUL at the farthest).
        unsafe { *self.0.add(at) }
    }

    unsafe fn rest(self, at: usize) -> &'static [u8] {
        // SAFETY: as above; the string is never freed.
        unsafe { c_bytes(self.0.add(at)) }
    }
}

/// The arguments after argv\[0\], indexed from 0, for the option parser.
pub struct ArgsAfterName<'p>(&'p Process);

impl Args<'static> for ArgsAfterName<'_> {
    fn get(&self, index: usize) -> Option<&'static [u8]> {
        self.0.arg(index.checked_add(1)?)
    }
}

/// The bytes of a NUL-terminated string, without the NUL.
///
/// # Safety
/// `pointer` must point to a NUL-terminated string that is never freed.
unsafe fn c_bytes(pointer: *const u8) -> &'static [u8] {
    // SAFETY: the caller vouches for the string.
    unsafe { core::slice::from_raw_parts(pointer, strlen(pointer)) }
}

// The memory functions. LLVM emits calls to them for copies, fills and
// comparisons; with no C library, scythe has to provide them. The volatile
// accesses keep LLVM from recognising each loop as the very function it is
// in and compiling it into a call to itself.

/// # Safety
/// As C's `memcpy`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    for i in 0..n {
        // SAFETY: the caller guarantees n valid bytes at both pointers.
        unsafe { dest.add(i).write_volatile(src.add(i).read()) };
    }
    dest
}

/// # Safety
/// As C's `memmove`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memmove(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dest as usize) <= (src as usize) {
        // SAFETY: copying forwards never overwrites a byte not yet read.
        return unsafe { memcpy(dest, src, n) };
    }
    for i in (0..n).rev() {
        // SAFETY: the caller guarantees n valid bytes; copying backwards
        // never overwrites a byte not yet read.
        unsafe { dest.add(i).write_volatile(src.add(i).read()) };
    }
    dest
}

/// # Safety
/// As C's `memset`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memset(dest: *mut u8, value: i32, n: usize) -> *mut u8 {
    for i in 0..n {
        // SAFETY: the caller guarantees n writable bytes.
        unsafe { dest.add(i).write_volatile(value as u8) };
    }
    dest
}

/// # Safety
/// As C's `memcmp`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: same contract.
    unsafe { compare(a, b, n) }
}

/// # Safety
/// As C's `bcmp`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: same contract.
    unsafe { compare(a, b, n) }
}

/// `memcmp` and `bcmp`, inlined into each (smaller than a call from one to
/// the other; see `tools/inline.py`).
///
/// # Safety
/// As C's `memcmp`.
#[inline(always)]
unsafe fn compare(a: *const u8, b: *const u8, n: usize) -> i32 {
    for i in 0..n {
        // SAFETY: the caller guarantees n readable bytes at both pointers.
        let (x, y) = unsafe { (a.add(i).read_volatile(), b.add(i).read_volatile()) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
    }
    0
}

/// # Safety
/// As C's `strlen`.
#[unsafe(no_mangle)]
// rustc says the attribute is ignored on an exported function; under LTO it
// is not: the calls in scythe and in core's `CStr::from_ptr` (rustix's vDSO
// lookup on 32-bit x86) are inlined, which is smaller (see `tools/inline.py`).
#[allow(unused_attributes)]
#[inline(always)]
pub unsafe extern "C" fn strlen(s: *const u8) -> usize {
    let mut n = 0;
    // SAFETY: the caller guarantees a NUL-terminated string.
    while unsafe { s.add(n).read_volatile() } != 0 {
        n += 1;
    }
    n
}

/// scythe is written to have no reachable panic; were one reached anyway,
/// exit as for any failure to start rather than hang as PID 1.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    crate::sys::exit(crate::FAILURE)
}

//! The last resorts: what the binary does when the library cannot return an
//! error. A file's evaluation that asks for gigabytes at once (the allocator
//! cannot refuse without aborting), a stack overflow in the interpreter, and a
//! panic (a bug) each become a short report and exit status 1, never an abort
//! or a raw backtrace.

use std::process::ExitCode;

/// A file's evaluation asked for memory far past its budget at once (a
/// string or list repeated a billion times): an allocator cannot refuse it
/// without aborting, so report it as `sel::eval` and exit here.
pub fn too_large(file: &str, bytes: usize, budget: usize) -> ! {
    static EXITING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if EXITING.swap(true, std::sync::atomic::Ordering::SeqCst) {
        // Another thread is reporting; it exits for both.
        loop {
            std::thread::park();
        }
    }
    eprintln!(
        "sel::eval\n\n  x evaluation of `{file}` asked for {bytes} bytes at once, more than its memory budget ({} MiB in all, {} MiB for one value) allows\n  help: a string or list repeated (or replaced) into billions of elements?",
        budget >> 20,
        budget >> 22
    );
    std::process::exit(1)
}

/// The last resort for a stack overflow while a file is evaluated: Starlark
/// recurses on values (`str()` of a list nested millions of levels deep,
/// built by a loop), and no error can be returned from there. The faulting
/// thread, if it is evaluating, reports the file as `sel::eval` and the
/// process exits 1; any other fault goes to the handler that was there
/// before (Rust's, which reports a stack overflow and aborts).
#[cfg(unix)]
pub mod overflow {
    use std::mem::MaybeUninit;

    static mut PREVIOUS: [MaybeUninit<libc::sigaction>; 2] =
        [MaybeUninit::zeroed(), MaybeUninit::zeroed()];
    const SIGNALS: [libc::c_int; 2] = [libc::SIGSEGV, libc::SIGBUS];

    fn write(text: &[u8]) {
        // SAFETY: write(2) is async-signal-safe; a short write loses text only.
        unsafe { libc::write(2, text.as_ptr().cast(), text.len()) };
    }

    extern "C" fn on_fault(signal: libc::c_int, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
        if sel::build_file::is_evaluating() {
            let file = sel::build_file::memory::evaluated_file().unwrap_or("a BUILD or .bzl file");
            write(b"sel::eval\n\n  x evaluation of `");
            write(file.as_bytes());
            write(b"` recursed deeper than the stack holds\n  help: a value nested about a million levels deep (a list wrapped in a list in a loop)?\n");
            // SAFETY: _exit is async-signal-safe and ends the process at once.
            unsafe { libc::_exit(1) };
        }
        let i = SIGNALS.iter().position(|s| *s == signal).unwrap_or(0);
        // SAFETY: PREVIOUS was written by `install` before this handler could run;
        // restoring it makes the faulting instruction, run again, reach it.
        unsafe {
            let previous = std::ptr::addr_of!(PREVIOUS[i]).cast::<libc::sigaction>();
            libc::sigaction(signal, previous, std::ptr::null_mut());
        }
    }

    /// Installs the handler for SIGSEGV and SIGBUS, on the alternate signal
    /// stack Rust gives every thread it starts.
    pub fn install() {
        for (i, signal) in SIGNALS.into_iter().enumerate() {
            // SAFETY: a plain sigaction call with a handler that only calls
            // async-signal-safe functions; PREVIOUS is written only here,
            // before any fault can reach the handler.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_fault as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut action.sa_mask);
                let previous = std::ptr::addr_of_mut!(PREVIOUS[i]).cast::<libc::sigaction>();
                libc::sigaction(signal, &action, previous);
            }
        }
    }
}

/// Runs the command; a panic (the hook in `main` has reported it) exits 1,
/// not 101. A broken pipe is no panic: `Answer::write` returns it.
pub fn guarded(command: impl FnOnce() -> ExitCode) -> ExitCode {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // tests/hostile.rs checks the report of a panic with this.
        #[cfg(debug_assertions)]
        if std::env::var_os("SEL_PANIC_FOR_TESTS").is_some() {
            panic!("SEL_PANIC_FOR_TESTS is set");
        }
        command()
    }))
    .unwrap_or_else(|_| ExitCode::from(1))
}

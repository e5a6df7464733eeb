//! A progress bar on stderr while a run goes (the `progress` feature).

use std::fmt::Display;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use nvmeq_core::Backend;

use crate::{run_with, BenchError, Config, Limit, Progress, Report};

/// [`run_with`](crate::run_with), drawing a progress bar on stderr when it is
/// a terminal (nothing otherwise): I/Os done out of the count, or seconds out
/// of the runtime, with the current IOPS.
pub fn run_with_bar<B, E, F>(
    cfg: &Config,
    backend_opts: &str,
    factory: F,
) -> Result<Report, BenchError>
where
    B: Backend,
    E: Display,
    F: Fn() -> Result<B, E> + Sync,
{
    let progress = Progress::new();
    if !std::io::stderr().is_terminal() {
        return run_with(cfg, backend_opts, &progress, factory);
    }
    let (len, style) = match cfg.limit {
        Limit::Ios(n) => (n * cfg.jobs as u64, "{bar:40} {pos}/{len} I/Os {msg}"),
        Limit::Runtime(d) => (d.as_millis() as u64, "{bar:40} {elapsed}/{duration} {msg}"),
    };
    let bar = ProgressBar::new(len);
    if let Ok(st) = ProgressStyle::with_template(style) {
        bar.set_style(st);
    }
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let start = Instant::now();
            let (mut last_t, mut last_n) = (start, 0);
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let (now, n) = (Instant::now(), progress.ios());
                let dt = now.duration_since(last_t).as_secs_f64();
                if dt > 0.0 {
                    bar.set_message(format!("{:.0} IOPS", (n - last_n) as f64 / dt));
                }
                (last_t, last_n) = (now, n);
                match cfg.limit {
                    Limit::Ios(_) => bar.set_position(n),
                    Limit::Runtime(_) => bar.set_position(start.elapsed().as_millis() as u64),
                }
            }
            bar.finish_and_clear();
        });
        let r = run_with(cfg, backend_opts, &progress, factory);
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        r
    })
}

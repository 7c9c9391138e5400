//! The interleaved measurement shared by the benches (each includes it with `#[path]`).

use std::cell::RefCell;
use std::time::{Duration, Instant};

use criterion::BenchmarkGroup;
use criterion::measurement::WallTime;

/// A function to bench and its name.
pub type Named<'a> = (&'a str, Box<dyn FnMut() + 'a>);

/// Benches every function of `fns` in `g`, all running in every measurement, in alternating
/// blocks of `block` calls (the order rotating from block to block), each function timing only
/// its own calls. Functions measured one after the other drifted apart by more than the
/// differences sought here on this shared 2-core machine (the same code measured 3.8x and 5.6x
/// faster than aws-sigv4 in two runs); interleaved, every function sees the same conditions, and
/// the ratio of two medians is the ratio of costs. Within a block the caches stay warm, as in a
/// loop of one function.
pub fn interleaved(g: &mut BenchmarkGroup<'_, WallTime>, block: u64, fns: Vec<Named<'_>>) {
    let (names, fns): (Vec<&str>, Vec<_>) = fns.into_iter().unzip();
    let fns = RefCell::new(fns);
    for (timed, name) in names.iter().enumerate() {
        g.bench_function(*name, |b| {
            b.iter_custom(|iters| {
                let mut fns = fns.borrow_mut();
                let count = fns.len();
                let mut own = Duration::ZERO;
                let (mut done, mut round) = (0, 0);
                while done < iters {
                    let n = block.min(iters - done);
                    for k in 0..count {
                        let i = (k + round) % count;
                        let start = Instant::now();
                        for _ in 0..n {
                            (fns[i])();
                        }
                        if i == timed {
                            own += start.elapsed();
                        }
                    }
                    done += n;
                    round += 1;
                }
                own
            })
        });
    }
}

//! The interleaved measurement shared by the benches (each includes it with `#[path]`).

use std::cell::RefCell;
use std::time::{Duration, Instant};

use criterion::BenchmarkGroup;
use criterion::measurement::WallTime;

/// A function to bench and its name.
pub type Named<'a> = (&'a str, Box<dyn FnMut() + 'a>);

/// A function to bench, its name, and what readies its inputs for a block of calls.
pub struct Bench<'a> {
    pub name: &'a str,
    /// Called untimed before each block with the block's number of calls (see [`Pool`]).
    pub prepare: Option<Box<dyn FnMut(u64) + 'a>>,
    pub run: Box<dyn FnMut() + 'a>,
}

impl<'a> From<Named<'a>> for Bench<'a> {
    fn from((name, run): Named<'a>) -> Self {
        Bench {
            name,
            prepare: None,
            run,
        }
    }
}

/// Per-call inputs cloned from a template outside the timing, so each timed call starts from
/// its own fresh value (an unsigned request, as a client gets it) and nothing timed is the
/// input's making or dropping.
#[allow(dead_code, reason = "not every bench that includes this module uses it")]
pub struct Pool<T> {
    template: T,
    ready: RefCell<Vec<T>>,
    spent: RefCell<Vec<T>>,
}

#[allow(dead_code, reason = "not every bench that includes this module uses it")]
impl<T: Clone> Pool<T> {
    pub fn new(template: T) -> Self {
        Pool {
            template,
            ready: RefCell::new(Vec::new()),
            spent: RefCell::new(Vec::new()),
        }
    }

    /// Drops the last block's values and readies `n` fresh ones (untimed).
    pub fn refill(&self, n: u64) {
        let n = usize::try_from(n).expect("a block fits in memory");
        let mut spent = self.spent.borrow_mut();
        spent.clear();
        spent.reserve(n);
        let mut ready = self.ready.borrow_mut();
        ready.clear();
        ready.extend((0..n).map(|_| self.template.clone()));
    }

    /// One fresh value.
    pub fn take(&self) -> T {
        self.ready
            .borrow_mut()
            .pop()
            .expect("refilled for every call of the block")
    }

    /// Keeps a used value to drop untimed.
    pub fn keep(&self, value: T) {
        self.spent.borrow_mut().push(value);
    }

    /// A [`Bench`] running `f` on a fresh value from this pool each call, the value kept after.
    pub fn bench<'a>(&'a self, name: &'a str, mut f: impl FnMut(&mut T) + 'a) -> Bench<'a> {
        Bench {
            name,
            prepare: Some(Box::new(move |n| self.refill(n))),
            run: Box::new(move || {
                let mut value = self.take();
                f(&mut value);
                self.keep(value);
            }),
        }
    }
}

/// Benches every function of `fns` in `g`, all running in every measurement, in alternating
/// blocks of `block` calls (the order rotating from block to block), each function timing only
/// its own calls. Functions measured one after the other drifted apart by more than the
/// differences sought here on this shared 2-core machine (the same code measured 3.8x and 5.6x
/// faster than aws-sigv4 in two runs); interleaved, every function sees the same conditions, and
/// the ratio of two medians is the ratio of costs. Within a block the caches stay warm, as in a
/// loop of one function.
pub fn interleaved<'a>(g: &mut BenchmarkGroup<'_, WallTime>, block: u64, fns: Vec<impl Into<Bench<'a>>>) {
    let (names, fns): (Vec<&str>, Vec<_>) = fns
        .into_iter()
        .map(|f| {
            let f: Bench<'a> = f.into();
            (f.name, (f.prepare, f.run))
        })
        .unzip();
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
                        let (prepare, run) = &mut fns[i];
                        if let Some(prepare) = prepare {
                            prepare(n);
                        }
                        let start = Instant::now();
                        for _ in 0..n {
                            run();
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

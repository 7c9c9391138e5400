//! The checksums on a CPU without AVX-512: crc-fast picks its code at run time, and versions of
//! it crashed (SIGILL) where AVX-512 was missing. valgrind emulates a CPU without AVX-512, so
//! this test runs itself again under valgrind and compares every algorithm's results there
//! with the native ones.

use std::process::Command;

use sigv4_middleware::checksum::ChecksumAlgorithm;

const INNER: &str = "SIGV4_CHECKSUM_UNDER_VALGRIND";

/// Lengths around the points where crc-fast changes code paths (16, 64, 128, 256 bytes...).
const LENGTHS: [usize; 9] = [0, 1, 15, 16, 63, 128, 255, 4096, 1 << 20];

fn results() -> String {
    let data: Vec<u8> = (0..1u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let mut out = String::new();
    for a in ChecksumAlgorithm::ALL {
        for len in LENGTHS {
            let one_shot = a.checksum(&data[..len]);
            let mut h = a.hasher();
            for piece in data[..len].chunks(1000) {
                h.update(piece);
            }
            assert_eq!(h.finalize(), one_shot, "{a} incremental, {len} bytes");
            out.push_str(&format!("{a} {len} {}\n", one_shot.to_base64()));
        }
    }
    out
}

#[test]
fn checksums_match_on_a_cpu_without_avx512() {
    if std::env::var_os(INNER).is_some() {
        // Under valgrind: report what this CPU computes.
        #[cfg(target_arch = "x86_64")]
        assert!(
            !std::arch::is_x86_feature_detected!("avx512f"),
            "valgrind was expected to hide AVX-512"
        );
        println!("RESULTS-BEGIN\n{}RESULTS-END", results());
        return;
    }
    let native = results();
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("valgrind")
        .args(["--tool=none", "--quiet", "--error-exitcode=99"])
        .arg(&exe)
        .args([
            "--exact",
            "checksums_match_on_a_cpu_without_avx512",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(INNER, "1")
        .output()
        .expect("valgrind must be installed to run this test (.ci/run installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the checksums failed under valgrind ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let emulated = stdout
        .split("RESULTS-BEGIN\n")
        .nth(1)
        .and_then(|s| s.split("RESULTS-END").next())
        .expect("the run under valgrind printed its results");
    assert_eq!(emulated, native, "results differ without AVX-512");
}

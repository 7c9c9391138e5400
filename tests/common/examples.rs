//! Builds an example once per test process and returns its path as cargo reports it, so a
//! custom target dir or profile is followed. The example is built with this test binary's
//! features, so the library is not rebuilt a second way. Shared with interop/, whose package has
//! no features of its own (its examples depend on the crate with the features they need).
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

pub fn example_bin(name: &str) -> PathBuf {
    static BUILT: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::new(None);
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(path) = built.get_or_insert_with(HashMap::new).get(name) {
        return path.clone();
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "--quiet", "--example", name, "--message-format=json"]);
    if !cfg!(debug_assertions) {
        cmd.arg("--release");
    }
    #[allow(unexpected_cfgs)] // the interop package declares no features
    let features: Vec<&str> = [
        ("tower", cfg!(feature = "tower")),
        ("reqwest", cfg!(feature = "reqwest")),
        ("verify", cfg!(feature = "verify")),
        ("sigv4a", cfg!(feature = "sigv4a")),
        ("providers", cfg!(feature = "providers")),
        ("aws-config", cfg!(feature = "aws-config")),
    ]
    .into_iter()
    .filter_map(|(name, on)| on.then_some(name))
    .collect();
    if !features.is_empty() {
        cmd.arg("--features").arg(features.join(","));
    }
    let out = cmd.output().expect("cannot run cargo");
    assert!(
        out.status.success(),
        "cargo build --example {name} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|msg| msg["reason"] == "compiler-artifact" && msg["target"]["name"] == name)
        .and_then(|msg| msg["executable"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| panic!("cargo reported no {name} executable"));
    built
        .as_mut()
        .expect("initialized above")
        .insert(name.to_owned(), path.clone());
    path
}

/// Runs an example with `args` and returns its standard output; it must exit 0.
pub fn run_example(name: &str, args: &[&str]) -> String {
    let out = Command::new(example_bin(name))
        .args(args)
        .output()
        .expect("example runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "example {name} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

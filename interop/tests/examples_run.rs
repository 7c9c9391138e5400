//! Runs the examples that sign against s3s-fs (an S3 implementation that verifies every
//! signature): each must exit 0 offline.

#[path = "../../tests/common/examples.rs"]
mod examples;

use examples::run_example as run;

#[test]
fn reqwest_client_example_runs() {
    run("reqwest_client", &[]);
}

#[test]
fn tower_client_example_runs() {
    run("tower_client", &[]);
}

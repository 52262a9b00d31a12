//! The `agent` command line (being built).

fn main() {}

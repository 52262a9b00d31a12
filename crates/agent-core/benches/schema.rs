//! Schema generation and normalisation for a typical tool input: a struct
//! with strings, an optional field, an enum, a nested struct and a list,
//! the shape of the reference tools' inputs and a little more.
//!
//! - `schema_for`: `schemars` generation plus [`tool_api::schema::normalize`],
//!   what a typed tool does once, when it is built;
//! - `normalize`: normalisation alone, on the generated schema (what a
//!   plugin's schema goes through when the host registers it).
//!
//! Run: `cargo bench -p agent-core --bench schema`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs, dead_code)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use schemars::JsonSchema;
use serde::Deserialize;

/// How to get there.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum Mode {
    /// By car.
    Driving,
    /// On foot.
    Walking,
    /// By train or bus.
    Transit,
}

/// A place.
#[derive(Deserialize, JsonSchema)]
struct Place {
    /// City name, e.g. "Boston".
    city: String,
    /// Two-letter country code.
    country: Option<String>,
}

/// The input of a trip-planning tool.
#[derive(Deserialize, JsonSchema)]
struct TripInput {
    /// Where the trip starts.
    origin: Place,
    /// Where it ends.
    destination: Place,
    /// How to travel.
    mode: Option<Mode>,
    /// Cuisines to look for on arrival.
    cuisines: Vec<String>,
    /// Most results to return.
    limit: Option<u32>,
}

fn schema(c: &mut Criterion) {
    let raw = schemars::schema_for!(TripInput).to_value();
    let mut group = c.benchmark_group("schema");
    group.bench_function("schema_for", |b| {
        b.iter(|| black_box(tool_api::schema::schema_for::<TripInput>().unwrap()))
    });
    group.bench_function("generate_only", |b| {
        b.iter(|| black_box(schemars::schema_for!(TripInput).to_value()))
    });
    group.bench_function("normalize", |b| {
        b.iter_batched(
            || raw.clone(),
            |s| black_box(tool_api::schema::normalize(s).unwrap()),
            criterion::BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, schema);
criterion_main!(benches);

//! Integration tests of the use cases, each run on SQLite and (when `QIANGLIAN_TEST_PG`
//! is set) on PostgreSQL. One binary, many modules (link time on 2 cores).

mod access;
mod accounts;
mod audit;
mod chainmap;
mod chainmap_import;
mod demo;
mod demo_problems;
mod enterprises;
mod evalrun;
mod harness;
mod import;
mod problems;
mod productgraph;
mod project;
mod project_demo;
mod project_xlsx;
mod registry;
mod schema;
mod scheme;

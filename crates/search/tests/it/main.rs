//! Integration tests of the search crate: one binary, one module per concern.

mod fixtures;
mod index;
mod scope;
mod tokenizer;

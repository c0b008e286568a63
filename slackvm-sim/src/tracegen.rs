//! placeholder module, filled below

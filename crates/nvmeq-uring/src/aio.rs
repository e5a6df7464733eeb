//! async (placeholder)

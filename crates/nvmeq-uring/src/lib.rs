//! nvmeq-uring (under construction).

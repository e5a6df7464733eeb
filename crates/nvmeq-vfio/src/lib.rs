//! nvmeq-vfio (under construction).

//! nvmeq-ioctl (under construction).

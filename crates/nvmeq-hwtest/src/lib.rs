//! nvmeq-hwtest (under construction).

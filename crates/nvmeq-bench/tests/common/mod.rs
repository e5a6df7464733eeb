//! What the tests' adapters over the ram controller share.

/// The `Backend` methods an adapter over `self.inner` (a `RamController`)
/// passes through unchanged: `caps`, `lba_size`, `alloc`, `execute_with`.
#[macro_export]
macro_rules! forward_to_inner {
    () => {
        type Buf = nvmeq_ram::RamBuf;
        fn caps(&self) -> nvmeq_core::Caps {
            self.inner.caps()
        }
        fn lba_size(&mut self, nsid: u32) -> Result<u32, nvmeq_core::Error> {
            self.inner.lba_size(nsid)
        }
        fn alloc(&mut self, len: usize) -> Result<nvmeq_ram::RamBuf, nvmeq_core::Error> {
            self.inner.alloc(len)
        }
        fn execute_with(
            &mut self,
            cmd: &nvmeq_core::Cmd,
            data: nvmeq_core::Data<'_>,
            meta: nvmeq_core::Data<'_>,
        ) -> Result<nvmeq_core::Completion, nvmeq_core::Error> {
            self.inner.execute_with(cmd, data, meta)
        }
    };
}

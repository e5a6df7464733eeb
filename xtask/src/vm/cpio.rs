//! A writer for the "newc" cpio format, the one the kernel unpacks into its initramfs
//! (`Documentation/driver-api/early-userspace/buffer-format.rst`).

use std::io::{self, Write};

const MAGIC: &str = "070701";
const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFLNK: u32 = 0o120000;
const S_IFCHR: u32 = 0o020000;

/// Streams newc entries to `W`; call [`Writer::finish`] to write the trailer.
#[derive(Debug)]
pub struct Writer<W: Write> {
    out: W,
    ino: u32,
    offset: u64,
}

impl<W: Write> Writer<W> {
    pub fn new(out: W) -> Self {
        Self {
            out,
            ino: 1,
            offset: 0,
        }
    }

    /// A directory; parents must come first.
    pub fn dir(&mut self, path: &str, perm: u32) -> io::Result<()> {
        self.entry(path, S_IFDIR | perm, 2, (0, 0), b"")
    }

    pub fn file(&mut self, path: &str, perm: u32, data: &[u8]) -> io::Result<()> {
        self.entry(path, S_IFREG | perm, 1, (0, 0), data)
    }

    pub fn symlink(&mut self, path: &str, target: &str) -> io::Result<()> {
        self.entry(path, S_IFLNK | 0o777, 1, (0, 0), target.as_bytes())
    }

    pub fn char_dev(&mut self, path: &str, perm: u32, major: u32, minor: u32) -> io::Result<()> {
        self.entry(path, S_IFCHR | perm, 1, (major, minor), b"")
    }

    /// Writes the `TRAILER!!!` entry and returns the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.ino = 0;
        self.entry("TRAILER!!!", 0, 1, (0, 0), b"")?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn entry(
        &mut self,
        path: &str,
        mode: u32,
        nlink: u32,
        rdev: (u32, u32),
        data: &[u8],
    ) -> io::Result<()> {
        let name = path.trim_start_matches('/');
        if name.is_empty() || name.as_bytes().contains(&0) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("bad cpio path {path:?}"),
            ));
        }
        let size = u32::try_from(data.len()).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{path}: newc entries are limited to 4 GiB"),
            )
        })?;
        let ino = self.ino;
        if ino != 0 {
            self.ino += 1;
        }
        // ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
        let fields = [
            ino,
            mode,
            0,
            0,
            nlink,
            0,
            size,
            0,
            0,
            rdev.0,
            rdev.1,
            name.len() as u32 + 1,
            0,
        ];
        let mut header = String::with_capacity(110);
        header.push_str(MAGIC);
        for f in fields {
            header.push_str(&format!("{f:08x}"));
        }
        self.put(header.as_bytes())?;
        self.put(name.as_bytes())?;
        self.put(&[0])?;
        self.pad()?;
        self.put(data)?;
        self.pad()
    }

    fn put(&mut self, b: &[u8]) -> io::Result<()> {
        self.out.write_all(b)?;
        self.offset += b.len() as u64;
        Ok(())
    }

    fn pad(&mut self) -> io::Result<()> {
        let n = (4 - (self.offset % 4) as usize) % 4;
        self.put(&[0; 3][..n])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(entry: &[u8], i: usize) -> u32 {
        let s = std::str::from_utf8(&entry[6 + 8 * i..14 + 8 * i]).unwrap();
        u32::from_str_radix(s, 16).unwrap()
    }

    #[test]
    fn file_entry_layout() {
        let mut w = Writer::new(Vec::new());
        w.file("/bin/x", 0o755, b"hello").unwrap();
        let out = w.finish().unwrap();
        assert_eq!(&out[..6], b"070701");
        assert_eq!(field(&out, 0), 1); // ino
        assert_eq!(field(&out, 1), 0o100755); // mode
        assert_eq!(field(&out, 4), 1); // nlink
        assert_eq!(field(&out, 6), 5); // filesize
        assert_eq!(field(&out, 11), 6); // namesize "bin/x\0"
                                        // 110-byte header + "bin/x\0" = 116, already aligned; data at 116, 5 bytes + 3 pad.
        assert_eq!(&out[110..116], b"bin/x\0");
        assert_eq!(&out[116..121], b"hello");
        assert_eq!(&out[121..124], &[0, 0, 0]);
        // trailer follows at 124
        let trailer = &out[124..];
        assert_eq!(&trailer[..6], b"070701");
        assert_eq!(field(trailer, 11), 11);
        assert_eq!(&trailer[110..121], b"TRAILER!!!\0");
        assert_eq!(out.len() % 4, 0);
    }

    #[test]
    fn dirs_links_and_devices() {
        let mut w = Writer::new(Vec::new());
        w.dir("dev", 0o755).unwrap();
        w.char_dev("dev/console", 0o600, 5, 1).unwrap();
        w.symlink("sh", "/bin/busybox").unwrap();
        let out = w.finish().unwrap();
        // dir: 110 + "dev\0" = 114 -> pad to 116
        assert_eq!(field(&out, 1), 0o040755);
        assert_eq!(field(&out, 4), 2);
        let dev = &out[116..];
        assert_eq!(field(dev, 0), 2);
        assert_eq!(field(dev, 1), 0o020600);
        assert_eq!((field(dev, 9), field(dev, 10)), (5, 1));
        // 110 + "dev/console\0" (12) = 122 -> pad to 124
        let link = &dev[124..];
        assert_eq!(field(link, 1), 0o120777);
        assert_eq!(field(link, 6), 12);
        // 110 + "sh\0" = 113 -> 116, then target
        assert_eq!(&link[116..128], b"/bin/busybox");
    }

    #[test]
    fn rejects_bad_names() {
        let mut w = Writer::new(Vec::new());
        assert!(w.file("/", 0o644, b"").is_err());
        assert!(w.file("a\0b", 0o644, b"").is_err());
    }
}

//! What the text forms of NVMe-oF secrets share (`DHHC-1:` for
//! DH-HMAC-CHAP, `NVMeTLSkey-1:` for TLS PSKs): the key with its CRC-32
//! appended little endian, in base64; secrets given in hexadecimal or
//! drawn from /dev/urandom.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use crate::error::{CliError, Result};

/// CRC-32 as zlib's `crc32()` computes it (CRC-32/ISO-HDLC).
pub fn crc32(b: &[u8]) -> u32 {
    crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC).checksum(b)
}

/// base64(key ‖ CRC-32(key) little endian).
pub fn encode_with_crc(key: &[u8]) -> String {
    let mut k = key.to_vec();
    k.extend_from_slice(&crc32(key).to_le_bytes());
    B64.encode(&k)
}

/// The key of a base64 `key ‖ CRC` body, its CRC checked; `lens` are the
/// key lengths allowed. Errors are worded as nvme-cli words them.
pub fn decode_with_crc(b64: &str, lens: &[usize]) -> std::result::Result<(Vec<u8>, u32), String> {
    let raw = B64
        .decode(b64)
        .map_err(|e| format!("Base64 decoding failed: {e}"))?;
    if raw.len() < 4 {
        return Err(format!(
            "Base64 decoding failed ({b64}, size {})",
            raw.len()
        ));
    }
    let (key, crc) = raw.split_at(raw.len() - 4);
    if !lens.contains(&key.len()) {
        return Err(format!("Invalid key length {}", key.len()));
    }
    let want = u32::from_le_bytes(crc.try_into().expect("4 bytes"));
    let got = crc32(key);
    if want != got {
        return Err(format!("CRC mismatch (key {want:08x}, crc {got:08x})"));
    }
    Ok((key.to_vec(), got))
}

/// Bytes from hexadecimal digits, two per byte.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// `n` random bytes for a secret.
pub fn random(n: usize) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut v = vec![0u8; n];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut v))
        .map_err(|e| CliError::io("reading /dev/urandom for the secret", e))?;
    Ok(v)
}

/// This host's configured NQN (`LIBNVME_HOSTNQN`, else /etc/nvme/hostnqn),
/// as nvme-cli's key commands read it: never generated.
pub fn hostnqn_from_file() -> Option<String> {
    nvmeq_linux::host::HostConfig::from_env("/").hostnqn_from_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_is_zlibs_and_the_body_round_trips() {
        // The catalogue's check value of CRC-32/ISO-HDLC.
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        let key = [9u8; 32];
        let (k, c) = decode_with_crc(&encode_with_crc(&key), &[32]).unwrap();
        assert_eq!((k.as_slice(), c), (&key[..], crc32(&key)));
        assert_eq!(
            decode_with_crc(&encode_with_crc(&key), &[48]).unwrap_err(),
            "Invalid key length 32"
        );
        assert_eq!(unhex("0aff"), Some(vec![0x0a, 0xff]));
        assert_eq!(unhex("0af"), None);
        assert_eq!(unhex("zz"), None);
    }
}

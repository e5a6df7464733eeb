//! `gen-dhchap-key` and `check-dhchap-key`: DH-HMAC-CHAP secrets in their
//! text representation (NVMe Base 2.1, 8.3.5.6.2 "Secret Representation"):
//! `DHHC-1:HH:` + base64(key ‖ CRC-32 of the key, little endian) + `:`,
//! where HH names the hash the key was transformed with (00 none, 01
//! SHA-256, 02 SHA-384, 03 SHA-512) and the transformed key is
//! HMAC-hash(secret, host NQN ‖ "NVMe-over-Fabrics").

use clap::Args;
use hmac::{Hmac, Mac};

use super::secret::{decode_with_crc, encode_with_crc, hostnqn_from_file, random, unhex};
use crate::error::{usage, CliError, Result};
use crate::output;

/// `nvmeq gen-dhchap-key` options (nvme-cli 2.13's).
#[derive(Debug, Args)]
pub struct GenArgs {
    /// The secret, in hexadecimal (default: random bytes).
    #[arg(short = 's', long)]
    pub secret: Option<String>,
    /// Key length: 32, 48 or 64 bytes (default: the hash's, else 32).
    #[arg(short = 'l', long = "key-length")]
    pub key_length: Option<u32>,
    /// Host NQN for the transformation (default: /etc/nvme/hostnqn).
    #[arg(short = 'n', long)]
    pub nqn: Option<String>,
    /// Transformation: 0 none, 1 SHA-256, 2 SHA-384, 3 SHA-512.
    #[arg(short = 'm', long, default_value_t = 0)]
    pub hmac: u32,
}

/// `nvmeq check-dhchap-key` options.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The key, `DHHC-1:HH:…:`.
    #[arg(short = 'k', long)]
    pub key: Option<String>,
}

/// The hash a key was transformed with (the `HH` of `DHHC-1:HH:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    /// 00h: the secret as given.
    None,
    /// 01h: HMAC-SHA-256.
    Sha256,
    /// 02h: HMAC-SHA-384.
    Sha384,
    /// 03h: HMAC-SHA-512.
    Sha512,
}

impl Transform {
    fn from_id(id: u32) -> Option<Transform> {
        Some(match id {
            0 => Transform::None,
            1 => Transform::Sha256,
            2 => Transform::Sha384,
            3 => Transform::Sha512,
            _ => return None,
        })
    }

    fn id(self) -> u32 {
        self as u32
    }

    /// The key length this hash makes; `None` leaves it to the user.
    fn key_len(self) -> Option<usize> {
        match self {
            Transform::None => None,
            Transform::Sha256 => Some(32),
            Transform::Sha384 => Some(48),
            Transform::Sha512 => Some(64),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Transform::None => "none",
            Transform::Sha256 => "SHA(256)",
            Transform::Sha384 => "SHA(384)",
            Transform::Sha512 => "SHA(512)",
        }
    }
}

const SEED: &[u8] = b"NVMe-over-Fabrics";

fn hmac<M: Mac + hmac::digest::KeyInit>(secret: &[u8], nqn: &str) -> Vec<u8> {
    let mut m = <M as hmac::digest::KeyInit>::new_from_slice(secret)
        .expect("HMAC takes keys of any length");
    m.update(nqn.as_bytes());
    m.update(SEED);
    m.finalize().into_bytes().to_vec()
}

/// The transformed key of `secret` for `nqn`.
pub fn transform(t: Transform, secret: &[u8], nqn: &str) -> Vec<u8> {
    match t {
        Transform::None => secret.to_vec(),
        Transform::Sha256 => hmac::<Hmac<sha2::Sha256>>(secret, nqn),
        Transform::Sha384 => hmac::<Hmac<sha2::Sha384>>(secret, nqn),
        Transform::Sha512 => hmac::<Hmac<sha2::Sha512>>(secret, nqn),
    }
}

/// `DHHC-1:HH:base64(key ‖ crc):`.
pub fn encode(t: Transform, key: &[u8]) -> String {
    format!("DHHC-1:{:02x}:{}:", t.id(), encode_with_crc(key))
}

/// What a valid key holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// Its transformation.
    pub transform: Transform,
    /// The key (without its CRC).
    pub key: Vec<u8>,
    /// Its CRC-32.
    pub crc: u32,
}

/// Parses and checks a `DHHC-1:` key, naming what is wrong with it.
pub fn check(s: &str) -> std::result::Result<Checked, String> {
    let rest = s
        .strip_prefix("DHHC-1:")
        .ok_or_else(|| format!("Invalid key header '{s}'"))?;
    let (hh, body) = rest
        .split_once(':')
        .ok_or_else(|| format!("Invalid key header '{s}'"))?;
    let id = u32::from_str_radix(hh, 16)
        .ok()
        .filter(|_| hh.len() == 2)
        .ok_or_else(|| format!("Invalid key header '{s}'"))?;
    let t = Transform::from_id(id).ok_or_else(|| format!("Invalid HMAC identifier {id}"))?;
    let b64 = body
        .strip_suffix(':')
        .ok_or_else(|| format!("'{s}': the key does not end with ':'"))?;
    let (key, crc) = decode_with_crc(b64, &[32, 48, 64])?;
    if let Some(l) = t.key_len() {
        if key.len() != l {
            return Err(format!("Invalid key length {} for {}", key.len(), t.name()));
        }
    }
    Ok(Checked {
        transform: t,
        key,
        crc,
    })
}

/// Runs `nvmeq gen-dhchap-key`.
pub fn gen(a: &GenArgs) -> Result<()> {
    let t = Transform::from_id(a.hmac)
        .ok_or_else(|| usage(format!("Invalid HMAC identifier {}", a.hmac)))?;
    let len = match (t.key_len(), a.key_length) {
        (Some(l), None) => l,
        (Some(l), Some(k)) if k as usize != l => {
            return Err(usage(format!("Invalid key length {k} for {}", t.name())));
        }
        (_, Some(k)) => k as usize,
        (None, None) => 32,
    };
    if ![32, 48, 64].contains(&len) {
        return Err(usage(format!("Invalid key length {len}")));
    }
    let secret = match &a.secret {
        Some(s) => {
            let b = unhex(s).ok_or_else(|| usage(format!("Invalid secret '{s}'")))?;
            if b.len() != len {
                return Err(usage(format!("Invalid key length ({} bytes)", b.len())));
            }
            b
        }
        None => random(len)?,
    };
    let nqn = match &a.nqn {
        Some(n) => n.clone(),
        None => hostnqn_from_file().ok_or_else(|| {
            CliError::Device("Could not read host NQN (/etc/nvme/hostnqn; pass --nqn)".into())
        })?,
    };
    let key = transform(t, &secret, &nqn);
    output::text(&format!("{}\n", encode(t, &key[..len])))
}

/// Runs `nvmeq check-dhchap-key`.
pub fn check_cmd(a: &CheckArgs) -> Result<()> {
    let k = a.key.as_deref().ok_or_else(|| usage("Key not specified"))?;
    let c = check(k).map_err(usage)?;
    output::text(&format!(
        "Key is valid (HMAC {}, length {}, CRC {:08x})\n",
        c.transform.id(),
        c.key.len(),
        c.crc
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_matches_rfc_4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let mut m = <Hmac<sha2::Sha256> as hmac::digest::KeyInit>::new_from_slice(b"Jefe").unwrap();
        m.update(b"what do ya want for nothing?");
        let d = m.finalize().into_bytes();
        assert_eq!(d[..8], [0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e]);
    }

    #[test]
    fn encode_then_check_round_trips_and_catches_damage() {
        let secret: Vec<u8> = (0u8..32).collect();
        for t in [Transform::None, Transform::Sha256] {
            let key = transform(t, &secret, "nqn.2014-08.org.nvmexpress:uuid:x");
            let s = encode(t, &key);
            assert_eq!(s.len(), 59, "{s}");
            let c = check(&s).unwrap();
            assert_eq!((c.transform, c.key.len()), (t, 32));
            if t == Transform::None {
                assert_eq!(c.key, secret);
            } else {
                assert_ne!(c.key, secret, "transformed");
            }
        }
        let k48 = transform(Transform::Sha384, &[7u8; 48], "nqn.h");
        assert_eq!(k48.len(), 48);
        assert_eq!(encode(Transform::Sha384, &k48).len(), 83);
        let k64 = transform(Transform::Sha512, &[7u8; 64], "nqn.h");
        assert_eq!(encode(Transform::Sha512, &k64).len(), 103);

        let good = encode(Transform::None, &secret);
        let mut bad = good.clone().into_bytes();
        bad[12] = if bad[12] == b'A' { b'B' } else { b'A' };
        let bad = String::from_utf8(bad).unwrap();
        assert!(check(&bad).unwrap_err().starts_with("CRC mismatch"));
        assert!(check("DHHC-2:00:AAAA:")
            .unwrap_err()
            .starts_with("Invalid key header"));
        assert_eq!(
            check(&good.replace("DHHC-1:00:", "DHHC-1:07:")).unwrap_err(),
            "Invalid HMAC identifier 7"
        );
        assert!(check(&good.replace("DHHC-1:00:", "DHHC-1:01:"))
            .is_ok_and(|c| c.transform == Transform::Sha256));
        assert!(check(&good.replace("DHHC-1:00:", "DHHC-1:02:"))
            .unwrap_err()
            .starts_with("Invalid key length 32 for SHA(384)"));
        assert!(check(good.trim_end_matches(':')).is_err());
    }
}

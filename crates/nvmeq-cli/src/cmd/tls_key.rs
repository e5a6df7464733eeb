//! `gen-tls-key` and `check-tls-key`: NVMe/TCP TLS pre-shared keys in the
//! PSK interchange format (NVMe/TCP Transport 1.1, 3.6.1.5):
//! `NVMeTLSkey-1:HH:` + base64(PSK ‖ CRC-32, little endian) + `:`, HH the
//! hash of the retained PSK (01 SHA-256 for 32-byte keys, 02 SHA-384 for
//! 48), and the TLS PSK identity a host presents for it (3.6.1.3):
//! `NVMe0RHH <hostnqn> <subnqn>`, or in version 1 `NVMe1RHH <hostnqn>
//! <subnqn> <digest>`.
//!
//! The retained PSK and the digest are derived as nvme-cli 2.13 (libnvme
//! 1.13) derives them, so identities match the ones it makes and inserts:
//! HKDF-Extract with no salt, then HKDF-Expand with the info bytes
//! `length (u16, little endian) ‖ "tls13 " ‖ "HostNQN" ‖ hostnqn` (no label
//! or context length bytes, unlike RFC 8446's HkdfLabel); the digest is
//! base64(HMAC(retained, hostnqn ‖ " " ‖ subnqn ‖ " " ‖ "NVMe-over-Fabrics")).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use clap::Args;
use hmac::{Hmac, Mac};

use super::secret::{decode_with_crc, encode_with_crc, hostnqn_from_file, random, unhex};
use crate::error::{usage, CliError, Result};
use crate::output;

/// What `gen-tls-key` and `check-tls-key` share (nvme-cli 2.13's options).
#[derive(Debug, Args)]
pub struct KeyringArgs {
    /// Keyring for the retained key (only with --insert).
    #[arg(short = 'k', long, default_value = ".nvme")]
    pub keyring: String,
    /// Key type of the retained key (only with --insert).
    #[arg(short = 't', long, default_value = "psk")]
    pub keytype: String,
    /// Host NQN for the retained key (default: /etc/nvme/hostnqn).
    #[arg(short = 'n', long)]
    pub hostnqn: Option<String>,
    /// Subsystem NQN for the retained key.
    #[arg(short = 'c', long)]
    pub subsysnqn: Option<String>,
    /// Key file to update with the derived TLS PSK (only with --insert).
    #[arg(short = 'f', long)]
    pub keyfile: Option<String>,
    /// TLS identity version: 0 (NVMe/TCP 1.0c) or 1 (NVMe/TCP 2.0).
    #[arg(short = 'I', long, default_value_t = 0)]
    pub identity: u8,
    /// Insert the retained key into the keyring.
    #[arg(short = 'i', long)]
    pub insert: bool,
}

/// `nvmeq gen-tls-key` options.
#[derive(Debug, Args)]
pub struct GenArgs {
    #[command(flatten)]
    pub k: KeyringArgs,
    /// The secret, in hexadecimal (default: random bytes).
    #[arg(short = 's', long)]
    pub secret: Option<String>,
    /// Hash of the retained key: 1 SHA-256 (32-byte key), 2 SHA-384 (48).
    #[arg(short = 'm', long, default_value_t = 1)]
    pub hmac: u8,
}

/// `nvmeq check-tls-key` options.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub k: KeyringArgs,
    /// The key, `NVMeTLSkey-1:HH:…:`.
    #[arg(short = 'd', long)]
    pub keydata: Option<String>,
}

/// The hash of a PSK (the `HH` of `NVMeTLSkey-1:HH:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PskHash {
    /// 01h: SHA-256, 32-byte keys.
    Sha256,
    /// 02h: SHA-384, 48-byte keys.
    Sha384,
}

impl PskHash {
    fn from_key_len(len: usize) -> PskHash {
        if len == 32 {
            PskHash::Sha256
        } else {
            PskHash::Sha384
        }
    }

    fn id(self) -> u8 {
        match self {
            PskHash::Sha256 => 1,
            PskHash::Sha384 => 2,
        }
    }

    fn key_len(self) -> usize {
        match self {
            PskHash::Sha256 => 32,
            PskHash::Sha384 => 48,
        }
    }
}

/// `NVMeTLSkey-1:HH:base64(psk ‖ crc):`, HH from the key's length.
pub fn encode(psk: &[u8]) -> String {
    let h = PskHash::from_key_len(psk.len());
    format!("NVMeTLSkey-1:{:02x}:{}:", h.id(), encode_with_crc(psk))
}

/// A decoded interchange-format key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Psk {
    /// The `HH` of the key: 0 (none) or a hash.
    pub hash_id: u8,
    /// The configured PSK.
    pub key: Vec<u8>,
}

/// Parses and checks an interchange-format key, naming what is wrong.
pub fn decode(s: &str) -> std::result::Result<Psk, String> {
    let bad = || format!("Invalid key '{s}': not NVMeTLSkey-1:HH:<base64>:");
    let rest = s.strip_prefix("NVMeTLSkey-1:").ok_or_else(bad)?;
    let (hh, body) = rest.split_once(':').ok_or_else(bad)?;
    let id = u8::from_str_radix(hh, 16)
        .ok()
        .filter(|_| hh.len() == 2)
        .ok_or_else(bad)?;
    let lens: &[usize] = match id {
        0 => &[32, 48],
        1 => &[32],
        2 => &[48],
        _ => return Err(format!("Invalid HMAC identifier {id}")),
    };
    let b64 = body.strip_suffix(':').ok_or_else(bad)?;
    let (key, _) = decode_with_crc(b64, lens)?;
    Ok(Psk { hash_id: id, key })
}

/// `length (u16 LE) ‖ "tls13 " ‖ "HostNQN" ‖ hostnqn`: libnvme's HKDF info.
fn retained_info(len: usize, hostnqn: &str) -> Vec<u8> {
    let mut info = Vec::with_capacity(15 + hostnqn.len());
    info.extend_from_slice(&(len as u16).to_le_bytes());
    info.extend_from_slice(b"tls13 HostNQN");
    info.extend_from_slice(hostnqn.as_bytes());
    info
}

/// The retained PSK of `configured` for `hostnqn` (the configured one when
/// `hash_id` is 0).
pub fn retained(hash_id: u8, configured: &[u8], hostnqn: &str) -> Vec<u8> {
    let mut out = vec![0u8; configured.len()];
    let info = retained_info(out.len(), hostnqn);
    // A PSK is far shorter than 255 hash lengths, the most HKDF-Expand makes.
    let expanded = match hash_id {
        1 => hkdf::Hkdf::<sha2::Sha256>::new(None, configured).expand(&info, &mut out),
        2 => hkdf::Hkdf::<sha2::Sha384>::new(None, configured).expand(&info, &mut out),
        _ => {
            out.copy_from_slice(configured);
            Ok(())
        }
    };
    expanded.expect("a PSK is at most 48 bytes");
    out
}

fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m =
        <M as hmac::digest::KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

/// The TLS PSK identity for `psk` between `hostnqn` and `subnqn`.
pub fn identity(version: u8, psk: &Psk, hostnqn: &str, subnqn: &str) -> String {
    let cipher = match psk.hash_id {
        0 => PskHash::from_key_len(psk.key.len()),
        1 => PskHash::Sha256,
        _ => PskHash::Sha384,
    };
    if version == 0 {
        return format!("NVMe0R{:02} {hostnqn} {subnqn}", cipher.id());
    }
    let r = retained(psk.hash_id, &psk.key, hostnqn);
    let parts: [&[u8]; 5] = [
        hostnqn.as_bytes(),
        b" ",
        subnqn.as_bytes(),
        b" ",
        b"NVMe-over-Fabrics",
    ];
    let digest = match cipher {
        PskHash::Sha256 => mac::<Hmac<sha2::Sha256>>(&r, &parts),
        PskHash::Sha384 => mac::<Hmac<sha2::Sha384>>(&r, &parts),
    };
    format!(
        "NVMe1R{:02} {hostnqn} {subnqn} {}",
        cipher.id(),
        B64.encode(digest)
    )
}

fn refuse_insert(insert: bool) -> Result<()> {
    if insert {
        return Err(CliError::Device(
            "--insert: adding keys to the kernel keyring is not supported by nvmeq yet \
             (print the key or the identity without --insert)"
                .into(),
        ));
    }
    Ok(())
}

/// Runs `nvmeq gen-tls-key`: prints the key in interchange format.
pub fn gen(a: &GenArgs) -> Result<()> {
    let h = match a.hmac {
        1 => PskHash::Sha256,
        2 => PskHash::Sha384,
        m => return Err(usage(format!("Invalid HMAC identifier {m}"))),
    };
    if a.k.identity > 1 {
        return Err(usage(format!(
            "Invalid TLS identity version {}",
            a.k.identity
        )));
    }
    refuse_insert(a.k.insert)?;
    let len = h.key_len();
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
    output::text(&format!("{}\n", encode(&secret)))
}

/// Runs `nvmeq check-tls-key`: checks the key and prints the TLS identity.
pub fn check_cmd(a: &CheckArgs) -> Result<()> {
    let k = a.keydata.as_deref().ok_or_else(|| usage("No key data"))?;
    if a.k.identity > 1 {
        return Err(usage(format!(
            "Invalid TLS identity version {}",
            a.k.identity
        )));
    }
    let psk = decode(k).map_err(|e| usage(format!("Key decoding failed: {e}")))?;
    let sub =
        a.k.subsysnqn
            .as_deref()
            .ok_or_else(|| usage("Need to specify a subsystem NQN"))?;
    let host = match &a.k.hostnqn {
        Some(h) => h.clone(),
        None => hostnqn_from_file()
            .ok_or_else(|| usage("Failed to read host NQN (/etc/nvme/hostnqn; pass --hostnqn)"))?,
    };
    refuse_insert(a.k.insert)?;
    output::text(&format!("{}\n", identity(a.k.identity, &psk, &host, sub)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hkdf_is_rfc_5869_with_the_info_bytes_libnvme_uses() {
        // RFC 5869 test case 3 (no salt, no info): the extract-then-expand core.
        let ikm = [0x0bu8; 22];
        let hk = hkdf::Hkdf::<sha2::Sha256>::new(None, &ikm);
        let mut okm = [0u8; 42];
        hk.expand(&[], &mut okm).unwrap();
        assert_eq!(okm[..8], [0x8d, 0xa4, 0xe7, 0x75, 0xa5, 0x63, 0xc1, 0x8f]);
        // The retained key depends on the host NQN and keeps the key's length.
        let k = [1u8; 32];
        let a = retained(1, &k, "nqn.a");
        assert_eq!(a.len(), 32);
        assert_ne!(a, retained(1, &k, "nqn.b"));
        assert_eq!(retained(0, &k, "nqn.a"), k);
        assert_eq!(retained(2, &[1u8; 48], "nqn.a").len(), 48);
    }

    #[test]
    fn interchange_format_and_identities() {
        let k: Vec<u8> = (0..32).collect();
        let s = encode(&k);
        assert!(s.starts_with("NVMeTLSkey-1:01:") && s.len() == 65, "{s}");
        let p = decode(&s).unwrap();
        assert_eq!((p.hash_id, p.key.as_slice()), (1, k.as_slice()));
        let s48 = encode(&[3u8; 48]);
        assert!(
            s48.starts_with("NVMeTLSkey-1:02:") && s48.len() == 89,
            "{s48}"
        );
        assert_eq!(identity(0, &p, "nqn.h", "nqn.s"), "NVMe0R01 nqn.h nqn.s");
        let v1 = identity(1, &p, "nqn.h", "nqn.s");
        let digest = v1.strip_prefix("NVMe1R01 nqn.h nqn.s ").unwrap();
        assert_eq!(B64.decode(digest).unwrap().len(), 32, "{v1}");
        let v1b = identity(1, &decode(&s48).unwrap(), "nqn.h", "nqn.s");
        assert!(v1b.starts_with("NVMe1R02 ") && v1b.len() == "NVMe1R02 nqn.h nqn.s ".len() + 64);
        assert_eq!(
            decode(&s.replace(":01:", ":02:")).unwrap_err(),
            "Invalid key length 32"
        );
        assert_eq!(
            decode(&s.replace(":01:", ":05:")).unwrap_err(),
            "Invalid HMAC identifier 5"
        );
        assert!(decode("NVMeTLSkey-2:01:AAAA:").is_err());
        let mut bad = s.into_bytes();
        bad[20] = if bad[20] == b'A' { b'B' } else { b'A' };
        assert!(decode(&String::from_utf8(bad).unwrap())
            .unwrap_err()
            .starts_with("CRC mismatch"));
    }
}

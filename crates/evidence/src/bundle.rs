//! An evidence bundle: content members (reports, the snapshot or the manifests' digests, the
//! effective configuration), `manifest.json` listing each with its SHA-256 and size, and
//! `envelope.dsse.json`: a DSSE envelope (signed with ed25519) around an in-toto statement
//! whose subjects are every member but the envelope. Verification names each member that is
//! missing, changed or not listed, and says when the signature does not verify.

use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::dsse::{Envelope, seal};
use crate::statement::{PAYLOAD_TYPE, PREDICATE_TYPE, STATEMENT_TYPE, Statement, Subject};
use crate::tar::{Member, read_tar_gz, write_tar_gz};

pub const MANIFEST: &str = "manifest.json";
pub const ENVELOPE: &str = "envelope.dsse.json";

/// `manifest.json`: the members and their digests, for people and tools that read no DSSE.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub api_version: String,
    pub kind: String,
    pub members: Vec<ManifestEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    pub name: String,
    pub sha256: String,
    pub bytes: usize,
}

/// The bundle of `members` (which must not use the names [`MANIFEST`] or [`ENVELOPE`]), its
/// statement carrying `predicate`, signed with `key` when one is given.
pub fn assemble(members: Vec<Member>, predicate: serde_json::Value, key: Option<&SigningKey>, mtime: i64) -> Result<Vec<u8>, String> {
    if let Some(m) = members.iter().find(|m| m.name == MANIFEST || m.name == ENVELOPE) {
        return Err(format!("{} is reserved for the bundle itself", m.name));
    }
    let mut members = members;
    members.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    let manifest = Manifest {
        api_version: "kubepci.io/v1".into(),
        kind: "EvidenceManifest".into(),
        members: members.iter().map(|m| ManifestEntry { name: m.name.clone(), sha256: crate::sha256_hex(&m.bytes), bytes: m.bytes.len() }).collect(),
    };
    members.push(Member::new(MANIFEST, pretty(&manifest)));
    let subjects = members.iter().map(|m| Subject::sha256(&m.name, &m.bytes)).collect();
    let statement = serde_json::to_vec(&Statement::new(subjects, predicate)).map_err(|e| e.to_string())?;
    members.push(Member::new(ENVELOPE, pretty(&seal(PAYLOAD_TYPE, &statement, key))));
    write_tar_gz(&members, mtime)
}

fn pretty(value: &impl Serialize) -> Vec<u8> {
    let mut text = serde_json::to_vec_pretty(value).unwrap_or_default();
    text.push(b'\n');
    text
}

/// One thing that does not match, named by the member it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    pub member: String,
    pub problem: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.member, self.problem)
    }
}

/// What verifying a bundle found.
#[derive(Debug, Default)]
pub struct Verification {
    /// Every member of the archive with its SHA-256, in archive order.
    pub members: Vec<(String, String)>,
    /// Empty when every digest matches and the signature verifies.
    pub mismatches: Vec<Mismatch>,
    /// The statement's predicate (meaningful only without mismatches).
    pub predicate: serde_json::Value,
}

impl Verification {
    pub fn verified(&self) -> bool {
        self.mismatches.is_empty()
    }
}

/// Verify a bundle's bytes with the signer's public key. `Err` only when the bytes are not a
/// readable tar.gz at all; everything else is a [`Mismatch`] naming its member.
pub fn verify(bundle: &[u8], key: &VerifyingKey) -> Result<Verification, String> {
    let members = read_tar_gz(bundle)?;
    let mut out = Verification { members: members.iter().map(|m| (m.name.clone(), crate::sha256_hex(&m.bytes))).collect(), ..Verification::default() };
    let mut mismatch = |member: &str, problem: String| out.mismatches.push(Mismatch { member: member.to_string(), problem });
    let Some(envelope) = members.iter().find(|m| m.name == ENVELOPE) else {
        mismatch(ENVELOPE, "missing: the bundle carries no signed statement".into());
        return Ok(out);
    };
    let envelope: Envelope = match serde_json::from_slice(&envelope.bytes) {
        Ok(e) => e,
        Err(e) => {
            mismatch(ENVELOPE, format!("not a DSSE envelope: {e}"));
            return Ok(out);
        }
    };
    if envelope.payload_type != PAYLOAD_TYPE {
        mismatch(ENVELOPE, format!("payload type is {:?}, not {PAYLOAD_TYPE}", envelope.payload_type));
    }
    // An envelope whose signature fails is still read, unverified, to name the members
    // that differ from it as well.
    let payload = match envelope.verify(key) {
        Ok(payload) => Some(payload),
        Err(problem) => {
            mismatch(&format!("{ENVELOPE} (signature)"), problem.to_string());
            envelope.payload_bytes()
        }
    };
    let statement: Statement = match payload.as_deref().map(serde_json::from_slice) {
        Some(Ok(s)) => s,
        Some(Err(e)) => {
            mismatch(ENVELOPE, format!("the payload is not an in-toto statement: {e}"));
            return Ok(out);
        }
        None => return Ok(out),
    };
    if statement.type_ != STATEMENT_TYPE || statement.predicate_type != PREDICATE_TYPE {
        mismatch(ENVELOPE, format!("statement type {} with predicate {}, expected {STATEMENT_TYPE} with {PREDICATE_TYPE}", statement.type_, statement.predicate_type));
    }
    for subject in &statement.subject {
        let recorded = subject.digest.get("sha256").map(String::as_str).unwrap_or_default();
        match members.iter().find(|m| m.name == subject.name) {
            None => mismatch(&subject.name, "missing from the bundle".into()),
            Some(m) => {
                let found = crate::sha256_hex(&m.bytes);
                if found != recorded {
                    mismatch(&subject.name, format!("content changed: sha256 {found}, the signed statement records {recorded}"));
                }
            }
        }
    }
    for m in members.iter().filter(|m| m.name != ENVELOPE && !statement.subject.iter().any(|s| s.name == m.name)) {
        mismatch(&m.name, "not in the signed statement (added after signing)".into());
    }
    out.predicate = statement.predicate;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::signing_key;

    fn members() -> Vec<Member> {
        vec![
            Member::new("reports/report.json", b"{\"summary\":{}}\n".to_vec()),
            Member::new("reports/report.txt", b"kubepci report\n".to_vec()),
            Member::new("config.json", b"{}\n".to_vec()),
        ]
    }

    /// The bundle's members after `change` is applied to the member `name`, repacked.
    fn tampered(bundle: &[u8], name: &str, change: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
        let mut read = read_tar_gz(bundle).unwrap();
        change(&mut read.iter_mut().find(|m| m.name == name).unwrap().bytes);
        write_tar_gz(&read, 0).unwrap()
    }

    #[test]
    fn a_bundle_verifies_and_every_changed_byte_is_named() {
        let key = signing_key([3; 32]);
        let bundle = assemble(members(), serde_json::json!({"tool": "kubepci"}), Some(&key), 1_700_000_000).unwrap();
        let ok = verify(&bundle, &key.verifying_key()).unwrap();
        assert!(ok.verified(), "{:?}", ok.mismatches);
        assert_eq!(ok.members.len(), 5);
        assert_eq!(ok.predicate["tool"], "kubepci");

        for name in ["reports/report.json", "reports/report.txt", "config.json", MANIFEST] {
            let bad = verify(&tampered(&bundle, name, |b| b[0] ^= 1), &key.verifying_key()).unwrap();
            assert_eq!(bad.mismatches.len(), 1, "{name}: {:?}", bad.mismatches);
            assert_eq!(bad.mismatches[0].member, name);
            assert!(bad.mismatches[0].problem.starts_with("content changed"), "{}", bad.mismatches[0]);
        }
        // The signature's bytes: a base64 character of `sig` changed.
        let flip_sig = |b: &mut Vec<u8>| {
            let mut e: Envelope = serde_json::from_slice(b).unwrap();
            let mut sig = e.signatures[0].sig.clone().into_bytes();
            sig[5] = if sig[5] == b'A' { b'B' } else { b'A' };
            e.signatures[0].sig = String::from_utf8(sig).unwrap();
            *b = serde_json::to_vec(&e).unwrap();
        };
        let bad = verify(&tampered(&bundle, ENVELOPE, flip_sig), &key.verifying_key()).unwrap();
        assert_eq!(bad.mismatches.iter().map(|m| m.member.as_str()).collect::<Vec<_>>(), ["envelope.dsse.json (signature)"]);
        // Any byte of the envelope: its payload, or its JSON.
        let bad = verify(&tampered(&bundle, ENVELOPE, |b| *b = String::from_utf8(b.clone()).unwrap().replacen("\"payload\": \"ey", "\"payload\": \"eX", 1).into_bytes()), &key.verifying_key()).unwrap();
        assert!(bad.mismatches.iter().any(|m| m.member == "envelope.dsse.json (signature)" || m.member == ENVELOPE), "{:?}", bad.mismatches);
        let bad = verify(&tampered(&bundle, ENVELOPE, |b| b[0] = b'['), &key.verifying_key()).unwrap();
        assert_eq!(bad.mismatches[0].member, ENVELOPE);
        // Another key.
        let other = signing_key([4; 32]);
        let bad = verify(&bundle, &other.verifying_key()).unwrap();
        assert_eq!(bad.mismatches.len(), 1);
        assert!(bad.mismatches[0].problem.starts_with("no signature verifies with the given public key"), "{}", bad.mismatches[0]);
    }

    #[test]
    fn added_removed_and_unsigned_members_are_named() {
        let key = signing_key([3; 32]);
        let bundle = assemble(members(), serde_json::Value::Null, Some(&key), 0).unwrap();
        let mut read = read_tar_gz(&bundle).unwrap();
        read.retain(|m| m.name != "config.json");
        read.push(Member::new("extra.txt", b"x".to_vec()));
        let bad = verify(&write_tar_gz(&read, 0).unwrap(), &key.verifying_key()).unwrap();
        let named: Vec<String> = bad.mismatches.iter().map(ToString::to_string).collect();
        assert_eq!(named, ["config.json: missing from the bundle", "extra.txt: not in the signed statement (added after signing)"]);
        let unsigned = assemble(members(), serde_json::Value::Null, None, 0).unwrap();
        let bad = verify(&unsigned, &key.verifying_key()).unwrap();
        assert_eq!(bad.mismatches[0].to_string(), "envelope.dsse.json (signature): the envelope holds no signature (created without --key)");
        assert!(assemble(vec![Member::new(MANIFEST, Vec::new())], serde_json::Value::Null, None, 0).is_err());
        assert!(verify(b"junk", &key.verifying_key()).is_err());
    }
}

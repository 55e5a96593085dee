//! A deterministic tar.gz: POSIX ustar members sorted by name, each a regular file with mode
//! 0600, owner and group 0 without names, and one modification time; gzip with no file name
//! and mtime 0. The same members and time always give the same bytes.

use std::io::{Read, Write};

const BLOCK: usize = 512;
/// Archives that expand beyond this are refused when read (gzip bombs).
const MAX_EXPANDED: u64 = 4 << 30;

/// One archive member: its path in the archive and its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl Member {
    pub fn new(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Member {
        Member { name: name.into(), bytes: bytes.into() }
    }
}

/// The tar.gz of `members` (sorted by name here), every member stamped `mtime` (seconds since
/// the epoch). Names must be relative, at most 100 bytes, without `..`, and unique.
pub fn write_tar_gz(members: &[Member], mtime: i64) -> Result<Vec<u8>, String> {
    let mut sorted: Vec<&Member> = members.iter().collect();
    sorted.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    if let Some(w) = sorted.windows(2).find(|w| w[0].name == w[1].name) {
        return Err(format!("two members named {}", w[0].name));
    }
    let mut tar = Vec::new();
    for m in sorted {
        tar.extend_from_slice(&header(&m.name, m.bytes.len() as u64, mtime.max(0) as u64)?);
        tar.extend_from_slice(&m.bytes);
        tar.resize(tar.len().div_ceil(BLOCK) * BLOCK, 0);
    }
    tar.resize(tar.len() + 2 * BLOCK, 0);
    let mut gz = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).and_then(|()| gz.finish()).map_err(|e| format!("gzip: {e}"))
}

fn header(name: &str, size: u64, mtime: u64) -> Result<[u8; BLOCK], String> {
    if name.is_empty() || name.len() > 100 || name.starts_with('/') || name.split('/').any(|p| p == ".." || p.is_empty()) {
        return Err(format!("member name {name:?} cannot be stored (relative, at most 100 bytes, no `..`)"));
    }
    let mut h = [0u8; BLOCK];
    h[..name.len()].copy_from_slice(name.as_bytes());
    octal(&mut h[100..108], 0o600);
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], mtime);
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    octal(&mut h[148..155], u64::from(sum));
    h[155] = b' ';
    Ok(h)
}

/// Zero-padded octal digits filling `field` but its last byte, which is NUL.
fn octal(field: &mut [u8], value: u64) {
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    field[..digits].copy_from_slice(&text.as_bytes()[text.len() - digits..]);
    field[digits] = 0;
}

/// The regular-file members of a tar.gz, in archive order. Directory entries are skipped; any
/// other entry type, a damaged header or a name given twice is an error.
pub fn read_tar_gz(bytes: &[u8]) -> Result<Vec<Member>, String> {
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(bytes).take(MAX_EXPANDED + 1).read_to_end(&mut tar).map_err(|e| format!("not a gzip file: {e}"))?;
    if tar.len() as u64 > MAX_EXPANDED {
        return Err(format!("the archive expands beyond {MAX_EXPANDED} bytes; refused"));
    }
    let mut members: Vec<Member> = Vec::new();
    let mut at = 0;
    while at + BLOCK <= tar.len() {
        let h = &tar[at..at + BLOCK];
        if h.iter().all(|&b| b == 0) {
            return Ok(members);
        }
        let recorded = parse_octal(&h[148..156]).ok_or("a tar header has no checksum")?;
        let sum: u64 = h.iter().enumerate().map(|(i, &b)| if (148..156).contains(&i) { 32 } else { u64::from(b) }).sum();
        if sum != recorded {
            return Err(format!("a tar header at byte {at} is damaged (checksum)"));
        }
        let name = {
            let field = |r: std::ops::Range<usize>| String::from_utf8_lossy(h[r].split(|&b| b == 0).next().unwrap_or_default()).into_owned();
            let (prefix, name) = (field(345..500), field(0..100));
            if prefix.is_empty() || &h[257..262] != b"ustar" { name } else { format!("{prefix}/{name}") }
        };
        let size = usize::try_from(parse_octal(&h[124..136]).ok_or_else(|| format!("{name}: no size in its tar header"))?).map_err(|_| format!("{name}: too large"))?;
        let start = at + BLOCK;
        let end = start.checked_add(size).filter(|&e| e <= tar.len()).ok_or_else(|| format!("{name}: the archive ends inside it"))?;
        match h[156] {
            b'0' | 0 => {
                if members.iter().any(|m| m.name == name) {
                    return Err(format!("{name}: the archive holds it twice"));
                }
                members.push(Member { name, bytes: tar[start..end].to_vec() });
            }
            b'5' => {}
            other => return Err(format!("{name}: unexpected tar entry type {:?}", char::from(other))),
        }
        at = start + size.div_ceil(BLOCK) * BLOCK;
    }
    Err("the archive ends without its end-of-archive blocks".into())
}

fn parse_octal(field: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(field).ok()?.trim_matches(|c: char| c == '\0' || c == ' ');
    u64::from_str_radix(text, 8).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_round_trip_sorted_and_the_bytes_are_deterministic() {
        let members = vec![Member::new("b/report.json", b"{}".to_vec()), Member::new("a.txt", vec![b'x'; 700]), Member::new("empty", Vec::new())];
        let bytes = write_tar_gz(&members, 1_700_000_000).unwrap();
        assert_eq!(bytes, write_tar_gz(&members.iter().rev().cloned().collect::<Vec<_>>(), 1_700_000_000).unwrap());
        assert_ne!(bytes, write_tar_gz(&members, 1_700_000_001).unwrap());
        let read = read_tar_gz(&bytes).unwrap();
        let names: Vec<&str> = read.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["a.txt", "b/report.json", "empty"]);
        assert_eq!(read[0].bytes.len(), 700);
    }

    #[test]
    fn unsafe_names_duplicates_and_damage_are_refused() {
        for name in ["/etc/passwd", "../x", "a//b", "", &"n".repeat(101)] {
            assert!(write_tar_gz(&[Member::new(name, b"x".to_vec())], 0).is_err(), "{name}");
        }
        assert!(write_tar_gz(&[Member::new("a", b"1".to_vec()), Member::new("a", b"2".to_vec())], 0).is_err());
        assert!(read_tar_gz(b"not gzip").is_err());
        let bytes = write_tar_gz(&[Member::new("a", b"1".to_vec())], 0).unwrap();
        let mut tar = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..]).read_to_end(&mut tar).unwrap();
        tar[0] = b'b';
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).unwrap();
        assert!(read_tar_gz(&gz.finish().unwrap()).unwrap_err().contains("checksum"));
    }

    /// The system's tar reads what this writes (skipped where there is none).
    #[test]
    fn gnu_tar_lists_the_members() {
        let Ok(out) = std::process::Command::new("tar").arg("--version").output() else { return };
        if !out.status.success() {
            return;
        }
        let dir = std::env::temp_dir().join(format!("kubepci-evidence-tar-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.tar.gz");
        std::fs::write(&path, write_tar_gz(&[Member::new("reports/report.json", b"{}".to_vec()), Member::new("manifest.json", b"[]".to_vec())], 1_700_000_000).unwrap()).unwrap();
        let listed = std::process::Command::new("tar").args(["-tvzf"]).arg(&path).output().unwrap();
        let text = String::from_utf8_lossy(&listed.stdout);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
        assert!(text.contains("-rw------- 0/0") && text.contains("2023-11-14") && text.contains("reports/report.json"), "{text}");
    }
}
